// REST over TLS with client certificates: the CA, the node's and a client's certificates made by the node's
// `id generate|sign certificate` commands (system openssl), then a Node https client and curl with those files.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestNode, type TestNode } from '../../harness/test-node.js';

const run = promisify(execFile);

async function hasOpenssl(): Promise<boolean> {
  try {
    await run('openssl', ['version']);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

const SUBJ = 'country = US and state = CA and locality = "San Mateo"';

async function pki(n: TestNode): Promise<string> {
  await n.cmd(
    `id generate certificate authority where password = ca-pass and ${SUBJ} and org = "Acme Root" and hostname = acme-ca`,
  );
  await n.cmd(
    `id generate certificate request where ${SUBJ} and org = "Edge Node" and hostname = localhost and ip = 127.0.0.1`,
  );
  await n.cmd('id sign certificate request where ca_org = "Acme Root" and server_org = "Edge Node"');
  // A client: its own request, signed by the same CA.
  await n.cmd(`id generate certificate request where ${SUBJ} and org = "Grafana Client" and hostname = grafana`);
  await n.cmd('id sign certificate request where ca_org = "Acme Root" and server_org = "Grafana Client"');
  // A stranger: signed by another CA.
  await n.cmd(
    `id generate certificate authority where password = other-pass and ${SUBJ} and org = Other and hostname = other`,
  );
  await n.cmd(`id generate certificate request where ${SUBJ} and org = Stranger and hostname = stranger`);
  await n.cmd('id sign certificate request where ca_org = Other and server_org = Stranger');
  return join(n.root, 'data', 'pem');
}

function get(
  port: number,
  tls: { ca: Buffer; cert?: Buffer; key?: Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'GET',
        headers: { command: 'get status', 'User-Agent': 'AnyLog/1.23' },
        ...tls,
        servername: 'localhost',
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function start(t: TestContext): Promise<TestNode | undefined> {
  if (!(await hasOpenssl())) {
    t.skip('openssl is not installed');
    return undefined;
  }
  const n = await startTestNode('node:\n  name: tls-node\n');
  t.after(() => n.stop());
  return n;
}

test('id generate/sign certificate write AnyLog’s PEM files; keys are 0600 and the CA key is encrypted', async (t) => {
  const n = await start(t);
  if (!n) return;
  const pem = await pki(n);
  for (const f of [
    'ca-Acme-Root-private_key.key',
    'ca-Acme-Root-public_key.crt',
    'server-Edge-Node-private_key.key',
    'server-Edge-Node-csr.csr',
    'server-Edge-Node-public_key.crt',
    'server-Grafana-Client-public_key.crt',
  ])
    assert.ok(statSync(join(pem, f)).isFile(), f);
  assert.equal(statSync(join(pem, 'ca-Acme-Root-private_key.key')).mode & 0o777, 0o600);
  assert.equal(statSync(join(pem, 'server-Edge-Node-private_key.key')).mode & 0o777, 0o600);
  assert.match(readFileSync(join(pem, 'ca-Acme-Root-private_key.key'), 'utf8'), /ENCRYPTED PRIVATE KEY/);
  const { stdout } = await run('openssl', [
    'verify',
    '-CAfile',
    join(pem, 'ca-Acme-Root-public_key.crt'),
    join(pem, 'server-Edge-Node-public_key.crt'),
  ]);
  assert.match(stdout, /OK/);
  const text = (await run('openssl', ['x509', '-noout', '-text', '-in', join(pem, 'server-Edge-Node-public_key.crt')]))
    .stdout;
  assert.match(text, /DNS:localhost/);
  assert.match(text, /IP Address:127\.0\.0\.1/);
  assert.match(text, /TLS Web Client Authentication/);
  // A wrong CA password is refused by openssl, and said so.
  await assert.rejects(
    n.cmd('id sign certificate request where ca_org = "Acme Root" and server_org = Stranger and password = wrong'),
    /openssl x509 failed/,
  );
  await assert.rejects(
    n.cmd(`id generate certificate request where ${SUBJ} and org = "../x" and hostname = h`),
    /cannot name/,
  );
});

test('run rest server with ssl, ca_org and server_org serves only clients whose certificate that CA signed', async (t) => {
  const n = await start(t);
  if (!n) return;
  const pem = await pki(n);
  await n.cmd(
    'run rest server where internal_ip = 127.0.0.1 and internal_port = 0 and ssl = true and ca_org = "Acme Root" and server_org = "Edge Node"',
  );
  const port = Number(n.running.node.connections.get('REST')!.internal.split(':').pop());
  const ca = readFileSync(join(pem, 'ca-Acme-Root-public_key.crt'));
  const file = (f: string) => readFileSync(join(pem, f));
  const ok = await get(port, {
    ca,
    cert: file('server-Grafana-Client-public_key.crt'),
    key: file('server-Grafana-Client-private_key.key'),
  });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /running/);
  await assert.rejects(get(port, { ca }), /certificate|socket hang up|ECONNRESET|alert/i);
  await assert.rejects(
    get(port, { ca, cert: file('server-Stranger-public_key.crt'), key: file('server-Stranger-private_key.key') }),
    /certificate|socket hang up|ECONNRESET|alert/i,
  );

  // The same with curl.
  const url = `https://localhost:${port}/`;
  const base = ['-s', '--resolve', `localhost:${port}:127.0.0.1`, '--cacert', join(pem, 'ca-Acme-Root-public_key.crt')];
  let good: string;
  try {
    good = (
      await run('curl', [
        ...base,
        '--cert',
        join(pem, 'server-Grafana-Client-public_key.crt'),
        '--key',
        join(pem, 'server-Grafana-Client-private_key.key'),
        '-H',
        'command: get status',
        url,
      ])
    ).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return t.skip('curl is not installed');
    throw err;
  }
  assert.match(good, /tls-node@.* running/);
  await assert.rejects(run('curl', [...base, '-H', 'command: get status', url]), (err: { code?: number }) => {
    assert.ok(err.code !== 0 && err.code !== undefined, 'curl without a client certificate fails');
    return true;
  });
});
