// Issue 12, items 7 and 8, as a hostile client tries them: `sql` refuses the engine's file functions by REST GET
// (header and URL query) and from a TCP peer; a GET changes no state whatever the form (assignments, `$VAR =`,
// `set`, `thread`, `process`, `run`, `exit`, `connect`, `schedule`, `if ... then`), answered 400 `Wrong HTTP method
// used` as EdgeLake does (golden rest_run_client_via_GET_rejected.txt); no error reply quotes a file's content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'libsql';
import { http, startTestNode, type TestNode } from '../../harness/test-node.js';
import { tcpNodeYaml } from '../network/peers.js';

const AGENT = { 'User-Agent': 'AnyLog/1.23' };
const PASSWD_LINE = /root:/;

async function restNode(t: { after(fn: () => Promise<void>): void }): Promise<TestNode> {
  const n = await startTestNode(
    `${tcpNodeYaml('sandbox-node', { rest: true })}dbms:\n  lab:\n    type: sqlite\n`.replace(/\n\n/g, '\n'),
  );
  t.after(() => n.stop());
  return n;
}

/** GET with the command in a header, and the same in the URL query (EdgeLake takes headers from the URL). */
async function bothGets(port: number, command: string): Promise<{ status: number; body: string }[]> {
  const byHeader = await http(port, 'GET', { ...AGENT, command });
  const q = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    void import('node:http').then(({ request }) => {
      const req = request(
        // A command in the URL runs only for a client no browser can pose as (rest-server/browser.ts): curl.
        {
          host: '127.0.0.1',
          port,
          method: 'GET',
          path: `/?command=${encodeURIComponent(command)}`,
          headers: { 'User-Agent': 'curl/8.5.0' },
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
  });
  return [byHeader, q];
}

test('sql refuses readfile, writefile and fsdir by REST GET, URL query and from a TCP peer', async (t) => {
  const n = await restNode(t);
  const target = join(n.root, 'written-by-sql');
  const db = new Database(join(n.root, 'data', 'dbms', 'lab.dbms'));
  db.exec('create table t (a integer); insert into t values (1)');
  db.close();
  const queries = [
    `sql lab format = json "select cast(readfile('/etc/passwd') as text) as x from t"`,
    `sql lab format = json "select writefile('${target}', 'pwned') as w from t"`,
    `sql lab format = json "select name from fsdir('/etc')"`,
    `sql lab format = json select "readfile"('/etc/passwd') as x from t`,
  ];
  for (const q of queries) {
    for (const r of await bothGets(n.port, q)) {
      assert.equal(r.status, 400, `${q}: ${r.body}`);
      assert.doesNotMatch(r.body, PASSWD_LINE);
      assert.match(r.body, /not allowed in queries/);
      assert.equal(JSON.parse(r.body).err_code, 18);
    }
  }
  // From a TCP peer: this node asks itself over TCP, as any peer would.
  const self = n.running.node.connections.get('TCP')!.external;
  for (const q of queries)
    await assert.rejects(n.cmd(`run client (${self}) ${q}`), (err: Error) => {
      // The requesting node's query parser (run client) already refuses some forms (fsdir in FROM, a quoted
      // function name); readfile and writefile on a table reach the peer's sandbox.
      assert.match(
        err.message,
        q === queries[0] || q === queries[1] ? /not allowed in queries/ : /not allowed in queries|Error in SQL Select/,
      );
      assert.doesNotMatch(err.message, PASSWD_LINE);
      return true;
    });
  assert.equal(existsSync(target), false);
  // Queries still work on every route.
  const ok = await http(n.port, 'GET', { ...AGENT, command: 'sql lab format = json "select 40 + 2 as answer from t"' });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /"answer": ?42/);
  assert.match(await n.cmd(`run client (${self}) sql lab format = json "select a as seven from t"`), /"seven": ?"?1/);
});

test('a GET changes no state: every state-changing form is refused with 400 Wrong HTTP method used', async (t) => {
  const n = await restNode(t);
  const script = join(n.root, 'set-flag.al');
  writeFileSync(script, 'flag = set-by-script\n');
  const forms = [
    'x = 1',
    '$ELRT_TEST_VAR = y',
    'set x = 2',
    'set query pool 1',
    `thread ${script}`,
    `process ${script}`,
    'process /etc/passwd',
    'run scheduler',
    'exit rest',
    'connect dbms other where type = sqlite',
    'schedule time = 1 minute and name = t task x = 3',
    'if 1 == 1 then x = 4',
    'if 1 == 1 then process /etc/passwd',
    // A `do` or `else` body is the same command (the interpreter runs it): refused the same.
    `if 1 == 1 then do thread ${script}`,
    `if 1 == 1 then do process ${script}`,
    'if 1 == 1 then do process /etc/passwd',
    `if 1 == 2 then else process ${script}`,
    'if 1 == 1 then do x = 5',
    'if 1 == 1 then do do set x = 6',
    'blockchain insert where policy = !p and local = true',
  ];
  for (const form of forms) {
    for (const r of await bothGets(n.port, form)) {
      assert.equal(r.status, 400, `${form}: ${r.status} ${r.body}`);
      assert.deepEqual(JSON.parse(r.body), {
        method: 'get',
        node: '127.0.0.1',
        err_code: 156,
        err_text: 'Wrong HTTP method used',
      });
    }
  }
  const dict = n.running.node.dict;
  assert.equal(dict.get('x'), undefined);
  assert.equal(dict.get('flag'), undefined);
  assert.equal(process.env['ELRT_TEST_VAR'], undefined);
  assert.match(await n.cmd('get processes'), /Query Pool\s*\|Running\s*\|Threads Pool: 3/);
  assert.equal(n.running.node.dbms.has('other'), false);
  // Reads still pass by GET.
  assert.equal((await http(n.port, 'GET', { ...AGENT, command: 'get status' })).status, 200);
  // By POST the same forms run.
  assert.equal((await http(n.port, 'POST', { ...AGENT, command: 'x = 1' })).status, 200);
  assert.equal(dict.get('x'), '1');
});

test('a GET with a destination changes no state on the peer: its headers cannot add a command, the command is checked whole', async (t) => {
  const n = await restNode(t);
  // The peer is this node itself, over its own TCP port: a command that got through would run here.
  const self = n.running.node.connections.get('TCP')!.external;
  for (const headers of [
    { destination: `${self}) x = 1 (`, command: 'get status' },
    { destination: self, timeout: '5) x = 2 #(', command: 'get status' },
    { destination: self, subset: 'true) x = 3 (', command: 'get status' },
  ]) {
    const r = await http(n.port, 'GET', { ...AGENT, ...headers });
    assert.equal(r.status, 400, `${JSON.stringify(headers)}: ${r.status} ${r.body}`);
  }
  for (const command of [
    'if 1 == 1 then exit node',
    'if 1 == 1 then do x = 4',
    'if 1 == 1 then connect dbms other where type = sqlite',
    `if 1 == 1 then run client (${self}) x = 5`,
  ]) {
    const r = await http(n.port, 'GET', { ...AGENT, destination: self, command });
    assert.equal(r.status, 400, `${command}: ${r.status} ${r.body}`);
    assert.equal(JSON.parse(r.body).err_code, 156, command);
  }
  assert.equal(n.running.node.dict.get('x'), undefined);
  assert.equal(n.running.node.dbms.has('other'), false);
  // A read still goes to the peer by GET.
  const ok = await http(n.port, 'GET', { ...AGENT, destination: self, command: 'get status' });
  assert.equal(ok.status, 200, ok.body);
  assert.match(ok.body, /running/);
});

test('no error reply quotes a file: process /etc/passwd by POST says where the script ended, not the line', async (t) => {
  const n = await restNode(t);
  const r = await http(n.port, 'POST', { ...AGENT, command: 'process /etc/passwd' });
  assert.equal(r.status, 400);
  assert.doesNotMatch(r.body, PASSWD_LINE);
  assert.match(JSON.parse(r.body).err_text, /^Script terminated on \/etc\/passwd line 1/);
  // The node's own console keeps the detail.
  await assert.rejects(n.cmd('process /etc/passwd'), PASSWD_LINE);
});
