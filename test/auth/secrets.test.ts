// Secrets stay out of replies, logs and error echoes; files the node keeps for errors and archives are not
// world-readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskSecrets } from '../../base/mask.js';
import { REST_NODE, http, startTestNode, until } from '../../harness/test-node.js';

test('maskSecrets hides option values, JSON fields, URL credentials and id update user password old/new', () => {
  assert.equal(
    maskSecrets('connect dbms pg where type = psql and user = u and password = hunter2 and ip = 1.2.3.4'),
    'connect dbms pg where type = psql and user = u and password = ****** and ip = 1.2.3.4',
  );
  assert.equal(maskSecrets('set local password = "two words"'), 'set local password = ******');
  assert.equal(
    maskSecrets('x where db_password=abc and api_key = k1'),
    'x where db_password=****** and api_key = ******',
  );
  assert.equal(maskSecrets('{"user": "u", "password": "p\\"q"}'), '{"user": "u", "password": "******"}');
  assert.equal(maskSecrets('postgres://me:pw@host:5432/db'), 'postgres://me:******@host:5432/db');
  assert.equal(
    maskSecrets('id update user password where name = joe and old = a1 and new = b2'),
    'id update user password where name = joe and old = ****** and new = ******',
  );
  assert.equal(maskSecrets('get status where new = 1'), 'get status where new = 1');
});

test('get scheduler, get dictionary, command echoes and the log never show a password', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const secret = 'hunter2-secret';
  await n.cmd(
    `schedule time = 1 hour and start = +1d and name = pg task connect dbms pg where type = psql and user = u and password = ${secret} and ip = 127.0.0.1 and port = 1`,
  );
  const sched = await n.cmd('get scheduler');
  assert.match(sched, /password = \*{6}/);
  assert.ok(!sched.includes(secret));
  await n.cmd(`later = "connect dbms pg where password = ${secret}"`);
  await n.cmd(`db_password = ${secret}`);
  const dict = await n.cmd('get dictionary');
  const dictJson = await n.cmd('get dictionary where format = json');
  assert.ok(!dict.includes(secret) && !dictJson.includes(secret));
  // An unknown command of a known family is echoed back in the error: masked, on REST too.
  await assert.rejects(n.cmd(`get nosuch where password = ${secret}`), (err: Error) => {
    assert.ok(!err.message.includes(secret), err.message);
    return true;
  });
  const r = await http(n.port, 'GET', {
    command: `get nosuch where password = ${secret}`,
    'User-Agent': 'AnyLog/1.23',
  });
  assert.equal(r.status, 400);
  assert.ok(!r.body.includes(secret), r.body);
  await n.cmd(`id add user where name = ann and password = ${secret}`);
  await assert.rejects(n.cmd(`id update user password where name = ann and old = wrong-${secret} and new = x`));
  assert.ok(!JSON.stringify(n.logs.records).includes(secret), 'no log record holds the secret');
});

test('files moved to the error directory are 0600 and archived files 0640, whatever mode they came with', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const data = join(n.root, 'data');
  writeFileSync(join(data, 'watch', 'test.bad.json'), '{"a": 1}\n{"a": \n', { mode: 0o644 });
  writeFileSync(join(data, 'watch', 'test.good.json'), '{"a": 1}\n', { mode: 0o666 });
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
    );
  await until(() => walk(join(data, 'error')).length >= 2 && walk(join(data, 'archive')).length >= 1);
  for (const f of walk(join(data, 'error'))) assert.equal(statSync(f).mode & 0o777, 0o600, f);
  for (const f of walk(join(data, 'archive'))) assert.equal(statSync(f).mode & 0o027, 0, f);
});
