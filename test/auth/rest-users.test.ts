import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REST_NODE, http, startTestNode, tableCount, until } from '../../harness/test-node.js';
import { tcpNodeYaml } from '../network/peers.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

test('with user authentication on, REST commands and PUTs need a valid Basic user, else 401', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  // Off by default: EdgeLake's behaviour.
  assert.equal((await http(n.port, 'GET', { command: 'get status', 'User-Agent': 'AnyLog/1.23' })).status, 200);
  await assert.rejects(n.cmd('set user authentication on'), /no users yet/);
  await n.cmd('id add user where name = ann and password = "s3cret pw" and type = admin');
  await n.cmd('set user authentication on');
  assert.match(await n.cmd('get authentication'), /User authentication\s*\|\s*ON/);

  const none = await http(n.port, 'GET', { command: 'get status', 'User-Agent': 'AnyLog/1.23' });
  assert.equal(none.status, 401);
  assert.match(none.body, /Failed AnyLog Client Authentication/);
  assert.match(String(none.headers['www-authenticate']), /^Basic /);
  const wrong = await http(n.port, 'GET', {
    command: 'get status',
    'User-Agent': 'AnyLog/1.23',
    Authorization: basic('ann', 'nope'),
  });
  assert.equal(wrong.status, 401);
  const unknown = await http(n.port, 'GET', {
    command: 'get status',
    'User-Agent': 'AnyLog/1.23',
    Authorization: basic('bob', 's3cret pw'),
  });
  assert.equal(unknown.status, 401);
  const ok = await http(n.port, 'GET', {
    command: 'get status',
    'User-Agent': 'AnyLog/1.23',
    Authorization: basic('ann', 's3cret pw'),
  });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /running/);

  const put = { type: 'json', dbms: 'test', table: 'authed', mode: 'streaming' };
  const body = '[{"timestamp":"2026-01-01T00:00:00Z","v":1}]';
  assert.equal((await http(n.port, 'PUT', put, body)).status, 401);
  assert.equal((await http(n.port, 'PUT', { ...put, Authorization: basic('ann', 'x') }, body)).status, 401);
  assert.equal((await http(n.port, 'PUT', { ...put, Authorization: basic('ann', 's3cret pw') }, body)).status, 200);
  await until(async () => (await tableCount(n, 'authed')) === 1);
  // The refused PUTs stored nothing.
  assert.equal(await tableCount(n, 'authed'), 1);

  await n.cmd('set user authentication off');
  assert.equal((await http(n.port, 'GET', { command: 'get status', 'User-Agent': 'AnyLog/1.23' })).status, 200);
  // Refusals are answers, not failures of the server.
  assert.ok(
    !n.logs.records.some((r) => r.level === 'error'),
    JSON.stringify(n.logs.records.filter((r) => r.level === 'error')),
  );
  assert.match(await n.cmd('get rest server info'), /refused_auth\s*\|\s*5/);
});

test('users are kept as salted scrypt hashes in a 0600 file; types, expiration and password changes apply', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  await n.cmd('id add user where name = ann and password = adminpw and type = admin');
  await n.cmd('id add user where name = joe and password = userpw');
  await n.cmd('id add user where name = tmp and password = tmppw and expiration = "1 second"');
  await assert.rejects(n.cmd('id add user where name = joe and password = x'), /exists with another password/);
  // A start script run again: the same user and password are accepted as they are.
  await n.cmd('id add user where name = joe and password = userpw');
  await n.cmd('set user authentication on');
  const file = join(n.root, 'state', 'auth.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const text = readFileSync(file, 'utf8');
  for (const pw of ['adminpw', 'userpw', 'tmppw']) assert.ok(!text.includes(pw), 'no clear password on disk');
  const recs = (JSON.parse(text) as { users: { name: string; password: { salt: string; hash: string } }[] }).users;
  assert.equal(recs.length, 3);
  assert.notEqual(recs[0]!.password.salt, recs[1]!.password.salt);

  const as = (u: string, pw: string, command: string, method = 'GET') =>
    http(n.port, method, { command, 'User-Agent': 'AnyLog/1.23', Authorization: basic(u, pw) });
  assert.equal((await as('tmp', 'tmppw', 'get status')).status, 200);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await as('tmp', 'tmppw', 'get status')).status, 401, 'an expired user can no longer connect');

  // A `user` may not manage users; an admin may.
  const denied = await as('joe', 'userpw', 'id add user where name = eve and password = x', 'POST');
  assert.equal(denied.status, 400);
  assert.match(denied.body, /needs an admin user/);
  assert.equal((await as('ann', 'adminpw', 'id add user where name = eve and password = evepw', 'POST')).status, 200);
  assert.match(await n.cmd('get users'), /eve/);

  // A user changes their own password: the old one stops working at once (the server forgets what it verified).
  assert.equal((await as('joe', 'userpw', 'get status')).status, 200);
  const upd = await as(
    'joe',
    'userpw',
    'id update user password where name = joe and old = userpw and new = newpw',
    'POST',
  );
  assert.equal(upd.status, 200);
  assert.equal((await as('joe', 'userpw', 'get status')).status, 401);
  assert.equal((await as('joe', 'newpw', 'get status')).status, 200);
  await assert.rejects(
    n.cmd('id update user password where name = joe and old = wrong and new = x'),
    /wrong user name/,
  );

  await n.cmd('id remove user where name = eve');
  assert.equal((await as('eve', 'evepw', 'get status')).status, 401);
  assert.doesNotMatch(await n.cmd('get users'), /eve/);
});

test('authentication survives a restart, and a restart with a different local password is refused', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'elrt-auth-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const a = await startTestNode(REST_NODE(), { keepRoot: root });
  await a.cmd('set local password = "first local"');
  await assert.rejects(
    a.cmd('set private password = pk in file').then(() => a.cmd('x')),
    /Unrecognized/,
  );
  await a.cmd('id add user where name = ann and password = annpw and type = admin');
  await a.cmd('set user authentication on');
  await a.stop();
  const text = readFileSync(join(root, 'state', 'auth.json'), 'utf8');
  assert.ok(!text.includes('first local') && !text.includes('private-key-pass'), 'no clear secret on disk');
  assert.ok((JSON.parse(text) as { secrets: Record<string, unknown> }).secrets['private_password']);

  const b = await startTestNode(REST_NODE(), { keepRoot: root });
  t.after(() => b.stop());
  // Still on after the restart, before anyone says so again.
  assert.equal((await http(b.port, 'GET', { command: 'get status', 'User-Agent': 'AnyLog/1.23' })).status, 401);
  await assert.rejects(b.cmd('set private password = x in file'), /needs the local password first/);
  await assert.rejects(b.cmd('set local password = other'), /not the local password this node was given/);
  assert.match(await b.cmd('get authentication'), /not given since start/);
  await b.cmd('set local password = "first local"');
  assert.match(await b.cmd('get authentication'), /Local password\s*\|\s*Set\s/);
});

test('a TCP peer or an unauthenticated REST client cannot turn authentication off', async (t) => {
  const n = await startTestNode(tcpNodeYaml('auth-peer', { rest: true }));
  t.after(() => n.stop());
  await n.cmd('id add user where name = ann and password = annpw and type = admin');
  await n.cmd('set user authentication on');
  const off = await http(n.port, 'POST', { command: 'set user authentication off', 'User-Agent': 'AnyLog/1.23' });
  assert.equal(off.status, 401);
  // The same command from a peer over TCP (this node to itself): refused.
  const tcp = n.running.node.connections.get('TCP')!.internal;
  const reply = await n.cmd(`run client (${tcp}) set user authentication off`);
  assert.match(reply, /not accepted from a TCP peer/);
  assert.match(await n.cmd('get authentication'), /User authentication\s*\|\s*ON/);
});

test('a command scheduled by a REST user runs with that user’s rights, not the owner’s', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  await n.cmd('id add user where name = ann and password = annpw and type = admin');
  await n.cmd('id add user where name = joe and password = joepw');
  await n.cmd('set user authentication on');
  await n.cmd('run scheduler 1');
  const r = await http(n.port, 'POST', {
    command:
      'schedule time = 1 hour and name = sneaky task id add user where name = eve and password = evepw and type = admin',
    'User-Agent': 'AnyLog/1.23',
    Authorization: basic('joe', 'joepw'),
  });
  assert.equal(r.status, 200, r.body);
  await until(async () => /needs an admin user/.test(await n.cmd('get scheduler 1')), 15_000, 250);
  assert.doesNotMatch(await n.cmd('get users'), /eve/);
  // The owner's own task still has the owner's rights.
  await n.cmd('schedule time = 1 hour and name = mine task id add user where name = amy and password = amypw');
  await until(async () => /amy/.test(await n.cmd('get users')), 15_000, 250);
});
