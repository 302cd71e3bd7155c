// The SMTP client service against a real SMTP server (smtp-server on 127.0.0.1:0): plain and TLS sends,
// EdgeLake's `email to` / `sms to`, a refused login, a scheduled alert, supervision, and the password
// never shown by a `get` command nor written to the logs.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { CommandError } from '../../base/errors.js';
import { startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { checkReadmeSamples } from './readme-samples.js';
import { selfSignedCert, startSmtpServer, type SmtpFixture } from './smtp-fixture.js';

const USER = 'node@example.com';
const PASS = 'S3cr3t-pa55-XYZ';
const WRONG = 'wr0ng-pa55-QQQ';

async function node(t: TestContext): Promise<TestNode> {
  const n = await startTestNode('node:\n  name: smtp-node\n');
  t.after(() => n.stop());
  return n;
}

const run = (port: number, extra = 'and starttls = false', password = PASS): string =>
  `run smtp client where host = 127.0.0.1 and port = ${port} and email = ${USER} and password = ${password} ${extra}`;

async function processRow(n: TestNode, name: string): Promise<string> {
  return (await n.cmd('get processes')).split('\r\n').find((l) => l.trim().startsWith(`${name} `)) ?? '';
}

const delivered = (fx: SmtpFixture, count: number) => until(() => fx.mails.length >= count, 10_000);

test('email and sms reach the server with recipient, subject and body; the service shows, reports and exits', async (t) => {
  const fx = await startSmtpServer(t, { user: USER, pass: PASS, tls: 'none' });
  const n = await node(t);
  assert.match(await processRow(n, 'SMTP'), /\|Not declared/);
  assert.equal(await n.cmd('get smtp client'), 'SMTP client is not running');
  await n.cmd(run(fx.port));
  assert.match(
    await processRow(n, 'SMTP'),
    /^\s+SMTP\s+\|Running\s+\|Using '127\.0\.0\.1' with email: 'node@example\.com'/,
  );

  await n.cmd(
    'email to ops@example.com where subject = "disk alert" and message = "disk 91% full" and message = "on node smtp-node"',
  );
  await delivered(fx, 1);
  const m = fx.mails[0]!;
  assert.equal(m.from, USER);
  assert.deepEqual(m.to, ['ops@example.com']);
  assert.equal(m.user, USER);
  assert.equal(m.subject, 'disk alert');
  assert.equal(m.body.trim(), 'disk 91% full\non node smtp-node');

  // EdgeLake's defaults when nothing but the address is given.
  await n.cmd('email to ops@example.com');
  await delivered(fx, 2);
  assert.equal(fx.mails[1]!.subject, 'AnyLog Alert');
  assert.equal(fx.mails[1]!.body.trim(), 'AnyLog Network Alert from Node: smtp-node');

  await n.cmd('sms to 6508147334 where gateway = tmomail.net and subject = alert and message = "temperature high"');
  await delivered(fx, 3);
  assert.deepEqual(fx.mails[2]!.to, ['6508147334@tmomail.net']);
  assert.equal(fx.mails[2]!.subject, 'alert');
  assert.equal(fx.mails[2]!.body.trim(), 'temperature high');

  const info = await n.cmd('get smtp client');
  assert.match(info, /host\s*\|\s*127\.0\.0\.1/);
  assert.match(info, /security\s*\|\s*none/);
  assert.match(info, /messages sent\s*\|\s*3/);

  await assert.rejects(n.cmd('email ops@example.com'), /expected 'email to <address>/);
  await assert.rejects(n.cmd('email to not-an-address'), /not an email address/);
  await assert.rejects(n.cmd('sms to 6508147334'), /gateway/);
  await assert.rejects(n.cmd('email to a@b.c where subjet = x'), /subjet: unknown option/);

  assert.equal(await n.cmd('exit smtp'), '');
  assert.match(await processRow(n, 'SMTP'), /\|Not declared/);
  await assert.rejects(
    n.cmd('email to ops@example.com'),
    (err: unknown) => err instanceof CommandError && err.code === 3 && /SMTP client is not running/.test(err.message),
  );
});

test('without ssl the client requires STARTTLS by default and refuses a server that lacks it', async (t) => {
  const fx = await startSmtpServer(t, { user: USER, pass: PASS, tls: 'none' });
  const n = await node(t);
  await assert.rejects(
    n.cmd(run(fx.port, '')),
    (err: unknown) =>
      err instanceof CommandError &&
      /Failed to initiate SMTP server/.test(err.message) &&
      /STARTTLS/i.test(err.message),
  );
  assert.equal(fx.refusedLogins, 0, 'no password was sent in clear');
  assert.match(await processRow(n, 'SMTP'), /\|Not declared/);
  assert.equal(await n.cmd('get status'), 'smtp-node@127.0.0.1 running');
});

test('TLS with a self-signed certificate: refused by default, trusted through ca_file, or accepted by the explicit insecure option', async (t) => {
  const cert = selfSignedCert(t);
  if (!cert) return t.skip('openssl is not installed');
  const implicit = await startSmtpServer(t, { user: USER, pass: PASS, tls: 'implicit', cert });
  const starttls = await startSmtpServer(t, { user: USER, pass: PASS, tls: 'starttls', cert });
  const n = await node(t);

  await assert.rejects(
    n.cmd(run(implicit.port, 'and ssl = true')),
    /Failed to initiate SMTP server.*(self[- ]signed|certificate)/i,
  );
  assert.equal(implicit.refusedLogins, 0);

  await n.cmd(run(implicit.port, `and ssl = true and ca_file = ${cert.certFile}`));
  await n.cmd('email to ops@example.com where subject = tls and message = "over TLS"');
  await delivered(implicit, 1);
  assert.equal(implicit.mails[0]!.secure, true);
  assert.equal(implicit.mails[0]!.body.trim(), 'over TLS');
  assert.match(await n.cmd('get smtp client'), /security\s*\|\s*ssl/);
  await n.cmd('exit smtp');

  // ssl = false: the STARTTLS upgrade, certificate checked against the same CA file.
  await n.cmd(run(starttls.port, `and ca_file = ${cert.certFile}`));
  await n.cmd('email to ops@example.com where subject = starttls');
  await delivered(starttls, 1);
  assert.equal(starttls.mails[0]!.secure, true);
  await n.cmd('exit smtp');

  await n.cmd(run(implicit.port, 'and ssl = true and tls_reject_unauthorized = false'));
  await n.cmd('email to ops@example.com where subject = insecure');
  await delivered(implicit, 2);
  assert.ok(n.logs.records.some((r) => r.level === 'warn' && /accepts any server certificate/.test(r.msg)));
  assert.match(await n.cmd('get smtp client'), /verify certificate\s*\|\s*False/);
});

test('a wrong password fails `run smtp client` with the server reason and the node keeps running', async (t) => {
  const fx = await startSmtpServer(t, { user: USER, pass: PASS, tls: 'none' });
  const n = await node(t);
  await assert.rejects(
    n.cmd(run(fx.port, 'and starttls = false', WRONG)),
    (err: unknown) =>
      err instanceof CommandError &&
      err.code === 3 &&
      /Failed to initiate SMTP server using '127\.0\.0\.1:\d+'.*Invalid (login|username or password)/s.test(
        err.message,
      ),
  );
  assert.equal(fx.refusedLogins, 1);
  assert.match(await processRow(n, 'SMTP'), /\|Not declared/);
  assert.equal(await n.cmd('get status'), 'smtp-node@127.0.0.1 running');
  await n.cmd(run(fx.port));
  await n.cmd('email to ops@example.com where subject = "after retry"');
  await delivered(fx, 1);
  assert.equal(fx.mails[0]!.subject, 'after retry');
});

test('a scheduled task emails through the SMTP client', async (t) => {
  const fx = await startSmtpServer(t, { user: USER, pass: PASS, tls: 'none' });
  const n = await node(t);
  await n.cmd(run(fx.port));
  await n.cmd('run scheduler 1');
  await n.cmd('schedule time = 1 second and name = alert task email to a@b.c where subject = x and message = y');
  await delivered(fx, 1);
  await n.cmd('task remove where name = alert');
  const m = fx.mails[0]!;
  assert.deepEqual(m.to, ['a@b.c']);
  assert.equal(m.subject, 'x');
  assert.equal(m.body.trim(), 'y');
});

test('a killed smtp worker is restarted by its supervisor and still sends', async (t) => {
  const fx = await startSmtpServer(t, { user: USER, pass: PASS, tls: 'none' });
  const n = await node(t);
  await n.cmd(run(fx.port));
  const before = n.running.node.instances('smtp-client')[0]!;
  assert.ok(n.running.node.kill('smtp-client'));
  await until(() => {
    const i = n.running.node.instances('smtp-client')[0];
    return i !== undefined && i.status === 'running' && i.restarts === before.restarts + 1;
  });
  assert.match(await processRow(n, 'SMTP'), /\|Running/);
  await n.cmd('email to ops@example.com where subject = "after restart"');
  await delivered(fx, 1);
  assert.equal(fx.mails[0]!.subject, 'after restart');
});

test('the password is never shown by a get command nor written to the logs', async (t) => {
  const fx = await startSmtpServer(t, { user: USER, pass: PASS, tls: 'none' });
  const n = await node(t);
  await assert.rejects(n.cmd(run(fx.port, 'and starttls = false', WRONG)));
  await n.cmd(run(fx.port));
  await n.cmd('email to ops@example.com where subject = s');
  await delivered(fx, 1);
  n.running.node.kill('smtp-client');
  await until(
    () =>
      n.running.node.instances('smtp-client')[0]?.restarts === 1 &&
      n.running.node.instances('smtp-client')[0]?.status === 'running',
  );
  const forms = (p: string): string[] => [
    p,
    Buffer.from(p).toString('base64'),
    Buffer.from(`\u0000${USER}\u0000${p}`).toString('base64'),
  ];
  const secrets = [...forms(PASS), ...forms(WRONG)];
  for (const c of [
    'get processes',
    'get processes where format = json',
    'get dictionary',
    'get dictionary where format = json',
    'get smtp client',
    'get status',
    'get scheduler',
  ]) {
    const out = await n.cmd(c);
    for (const s of secrets) assert.ok(!out.includes(s), `${c} shows the password`);
  }
  const logs = JSON.stringify(n.logs.records);
  assert.ok(n.logs.records.length > 0);
  for (const s of secrets) assert.ok(!logs.includes(s), 'the logs hold the password');
});

test('the README samples are valid node.yaml and commands', () => {
  checkReadmeSamples('smtp-client');
});
