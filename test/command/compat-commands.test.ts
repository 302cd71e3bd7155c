// The commands EdgeLake's deployment scripts use (node/commands/builtin/compat.ts), each against what EdgeLake 1.4
// answers (member_cmd.py functions named in that file), on a real in-process node.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootNode, type RunningNode } from '../../main/boot.js';
import { MemorySink } from '../../base/log.js';
import { ECHO_QUEUE, PARTITIONS, TRACE_LEVEL } from '../../node/commands/builtin/compat.js';
import { evalPython, substitutePython } from '../../protocols/command/python-expr.js';

async function boot(t: TestContext): Promise<{ running: RunningNode; root: string; cmd(s: string): Promise<string> }> {
  const root = mkdtempSync(join(tmpdir(), 'elrt-compat-'));
  const running = await bootNode({ root, logSink: new MemorySink(1000).sink, output: () => undefined });
  t.after(async () => {
    await running.stop('test done');
    rmSync(root, { recursive: true, force: true });
  });
  return { running, root, cmd: (s) => running.node.command(s, { source: 'test' }) };
}

test('switches are recorded: set echo queue, set debug, trace level, set exception traceback, set cli', async (t) => {
  const n = await boot(t);
  await n.cmd('set echo queue on');
  await n.cmd('set debug off');
  await n.cmd('trace level = 1');
  await n.cmd('set exception traceback off');
  await n.cmd('set cli off');
  await n.cmd('reset error log');
  assert.equal(n.running.node.settings.get(ECHO_QUEUE), true);
  assert.equal(n.running.node.settings.get(TRACE_LEVEL), 1);
  await assert.rejects(n.cmd('set echo queue maybe'), { code: 2 });
  await assert.rejects(n.cmd('trace level = 9'), { code: 2 });
});

test('get hostname, file test and set internal ip with default', async (t) => {
  const n = await boot(t);
  assert.equal(await n.cmd('get hostname'), hostname());
  assert.equal(await n.cmd(`file test ${n.root}`), 'True');
  assert.equal(await n.cmd(`file test ${join(n.root, 'nope')}`), 'False');
  await n.cmd(`d = ${n.root}`);
  assert.equal(await n.cmd('file test !d/blockchain'), 'True');
  await n.cmd('set internal ip with default');
  assert.equal(n.running.node.dict.get('ip'), n.running.node.dict.get('external_ip'));
  await assert.rejects(n.cmd('set internal ip with no-such-nic0'), { code: 3 });
});

test('python evaluates a safe subset and never runs code', async (t) => {
  const n = await boot(t);
  await n.cmd('version = get version');
  assert.equal(await n.cmd('python !version.split(" ")[0]'), 'edgelake-rt');
  await n.cmd('ledger = 10.1.2.3:32048');
  assert.equal(await n.cmd('python !ledger.split(":")[0]'), '10.1.2.3');
  assert.equal(await n.cmd('python int("12") * 2 + len("abc")'), '27');
  assert.equal(await n.cmd('python "abcdef"[1:-1].upper()'), 'BCDE');
  assert.equal(await n.cmd('python 7 / 2'), '3.5');
  assert.equal(await n.cmd('python "x" in "xyz" and 2 >= 1'), 'True');
  // An assignment whose value is a python command runs it, '+' and all (policy_node_monitoring.al's
  // `error_count = python int(!errin) + int(!errout)`); `x = !a + !b` stays concatenation.
  await n.cmd('errin = 3');
  await n.cmd('errout = 4');
  await n.cmd('error_count = python int(!errin) + int(!errout)');
  assert.equal(n.running.node.dict.get('error_count'), '7');
  await n.cmd('name = "my opc"');
  await n.cmd('tags = python !name.strip().replace(" ", "_") + "_tags.al"');
  assert.equal(n.running.node.dict.get('tags'), 'my_opc_tags.al');
  await n.cmd('both = !errin + !errout');
  assert.equal(n.running.node.dict.get('both'), '34');
  await assert.rejects(n.cmd('python __import__("os").system("true")'), { code: 3 });
  await assert.rejects(n.cmd('python open("/etc/passwd")'), { code: 3 });
  // A value with a quote stays one string literal.
  assert.equal(evalPython(substitutePython('!v + "!"', () => "it's")), "it's!");
});

test('json and from ... bring read a JSON value', async (t) => {
  const n = await boot(t);
  await n.cmd('p = {"cluster": {"name": "c1", "company": "Co", "id": "abc"}}');
  assert.equal(await n.cmd('json !p'), '{"cluster": {"name": "c1", "company": "Co", "id": "abc"}}');
  assert.equal(await n.cmd('json !p test'), 'true');
  await n.cmd('bad = not json');
  assert.equal(await n.cmd('json !bad'), '');
  assert.equal(await n.cmd('from !p bring [*]'), 'cluster');
  assert.equal(await n.cmd('from !p bring [*][id]'), 'abc');
  assert.equal(await n.cmd('from !p bring [cluster][name] ":" [cluster][company]'), 'c1:Co');
  await assert.rejects(n.cmd('from !unset bring [*]'), { code: 6 });
});

test('create table makes EdgeLake system tables; info table says whether a table exists', async (t) => {
  const n = await boot(t);
  await n.cmd('connect dbms blockchain where type = sqlite');
  await n.cmd('connect dbms almgm where type = sqlite');
  assert.equal(await n.cmd('info table blockchain ledger exists'), 'false');
  await n.cmd('create table ledger where dbms = blockchain');
  await n.cmd('create table tsd_info where dbms = almgm');
  assert.equal(await n.cmd('info table blockchain ledger exists'), 'true');
  assert.equal(await n.cmd('info table almgm tsd_info exists'), 'true');
  assert.match(await n.cmd('info table blockchain ledger columns'), /policy_id/);
  await assert.rejects(n.cmd('create table nosuch where dbms = almgm'), { code: 3 });
  await assert.rejects(n.cmd('info table nodbms t exists'), { code: 10 });
  // A user table from its table policy's create statement.
  await n.cmd('connect dbms lsl where type = sqlite');
  await n.cmd(
    'blockchain insert where policy = {"table": {"name": "sensor", "dbms": "lsl", "create": "CREATE TABLE IF NOT EXISTS sensor(row_id SERIAL PRIMARY KEY, value float)"}} and local = true',
  );
  await n.cmd('create table sensor where dbms = lsl');
  assert.equal(await n.cmd('info table lsl sensor exists'), 'true');
});

test('create policy with defaults and blockchain prepare policy add id and date', async (t) => {
  const n = await boot(t);
  const text = await n.cmd('create policy cluster with defaults where company = "New Company" and name = c1');
  const p = JSON.parse(text) as { cluster: Record<string, unknown> };
  assert.equal(p.cluster['company'], 'New Company');
  assert.equal(p.cluster['name'], 'c1');
  assert.match(String(p.cluster['id']), /^[0-9a-f]{32}$/);
  const master = JSON.parse(await n.cmd('create policy master with defaults where name = m1')) as {
    master: Record<string, unknown>;
  };
  assert.equal(master.master['port'], 32048);
  assert.equal(master.master['rest_port'], 32049);
  await n.cmd('np = {"operator": {"name": "o1", "company": "Co"}}');
  await n.cmd('blockchain prepare policy !np');
  const prepared = JSON.parse(n.running.node.dict.get('np')!) as { operator: Record<string, unknown> };
  assert.match(String(prepared.operator['id']), /^[0-9a-f]{32}$/);
  assert.match(String(prepared.operator['date']), /^\d{4}-\d\d-\d\dT/);
});

test('rest get calls out and returns the body; a refused connection is a catchable network error', async (t) => {
  const n = await boot(t);
  const server = createServer((req, res) => {
    res.end(JSON.stringify({ method: req.method, agent: req.headers['user-agent'] ?? '' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const reply = await n.cmd(`rest get where url = http://127.0.0.1:${port}/x and User-Agent = AnyLog/1.23`);
  assert.deepEqual(JSON.parse(reply), { method: 'GET', agent: 'AnyLog/1.23' });
  await n.cmd(`info = rest get where url = http://127.0.0.1:${port}/json`);
  assert.equal(await n.cmd('from !info bring [method]'), 'GET');
  server.close();
  await assert.rejects(n.cmd(`rest get where url = http://127.0.0.1:${port}/gone`), { code: 15 });
  await assert.rejects(n.cmd('rest get where url = file:///etc/passwd'), { code: 2 });
});

test('delete archive removes archived files older than the days given', async (t) => {
  const n = await boot(t);
  const dir = n.running.node.dict.get('archive_dir')!;
  mkdirSync(join(dir, '2020', '01'), { recursive: true });
  const old = join(dir, '2020', '01', 'old.json.gz');
  const fresh = join(dir, 'fresh.json.gz');
  writeFileSync(old, 'x');
  writeFileSync(fresh, 'y');
  const longAgo = new Date(Date.now() - 40 * 86_400_000);
  utimesSync(old, longAgo, longAgo);
  await n.cmd('delete archive where days = 30');
  assert.equal(existsSync(old), false);
  assert.equal(existsSync(fresh), true);
});

test('system is off unless the node enables it; platform commands answer a catchable 237', async (t) => {
  const n = await boot(t);
  await assert.rejects(n.cmd('system echo hi'), { code: 237 });
  for (const c of [
    'blockchain connect to optimism where provider = x',
    'run opcua client where url = x',
    'video x',
    'import function x',
    'get platforms',
  ])
    await assert.rejects(n.cmd(c), { code: 237 }, c);
  const file = join(n.root, 'catch.al');
  writeFileSync(
    file,
    [
      'on error goto caught',
      'blockchain deploy contract where x = y',
      'end script',
      ':caught:',
      'set caught = yes',
    ].join('\n'),
  );
  await n.cmd(`process ${file}`);
  assert.equal(n.running.node.dict.get('caught'), 'yes');
});

test('partition is recorded; drop partition keeps the newest partition tables', async (t) => {
  const n = await boot(t);
  await n.cmd('partition new_company * using insert_timestamp by 14 days');
  assert.deepEqual(n.running.node.settings.get(PARTITIONS), [
    { dbms: 'new_company', table: '*', column: 'insert_timestamp', interval: '14 days' },
  ]);
  assert.match(await n.cmd('get partitions'), /new_company.*insert_timestamp.*14 days/);
  await assert.rejects(n.cmd('partition new_company * using insert_timestamp by soon'), { code: 2 });
  await n.cmd('connect dbms lsl where type = sqlite');
  await n.running.node.dbms.ddl('lsl', [
    'CREATE TABLE par_t_2026_01_01_d14_insert_timestamp (x int)',
    'CREATE TABLE par_t_2026_01_15_d14_insert_timestamp (x int)',
    'CREATE TABLE par_t_2026_01_29_d14_insert_timestamp (x int)',
  ]);
  await n.cmd('drop partition where dbms = lsl and table = t and keep = 2');
  assert.deepEqual((await n.running.node.dbms.reader('lsl').listTables()).filter((x) => x.startsWith('par_')).sort(), [
    'par_t_2026_01_15_d14_insert_timestamp',
    'par_t_2026_01_29_d14_insert_timestamp',
  ]);
});

test('system scheduler 0 runs EdgeLake\'s "Metadata Ping" (set servers ping) every minute', async (t) => {
  const n = await boot(t);
  await n.cmd('run scheduler 1');
  const s0 = await n.cmd('get scheduler 0');
  assert.match(s0, /Scheduler Status: Running/);
  assert.match(s0, /Metadata Ping\|.*\|0:1:0\s*\|set servers ping\|/);
  assert.equal(await n.cmd('set servers ping'), '');
});

test('with dbms blockchain and its ledger table, the node keeps its policies there too', async (t) => {
  const n = await boot(t);
  await n.cmd('blockchain insert where policy = {"cluster": {"name": "c0", "company": "Co"}} and local = true');
  await n.cmd('connect dbms blockchain where type = sqlite');
  await n.cmd('create table ledger where dbms = blockchain');
  const rows = async (): Promise<string> =>
    n.cmd('sql blockchain format = json "select policy_type, company_name, policy from ledger order by policy_type"');
  assert.match(await rows(), /"policy_type":"cluster","company_name":"Co"/);
  await n.cmd('blockchain push {"operator": {"name": "o1", "company": "Co", "ip": "10.0.0.1", "port": 32148}}');
  const after = JSON.parse(await rows()) as { Query: { policy_type: string; policy: string }[] };
  assert.deepEqual(
    after.Query.map((r) => r.policy_type),
    ['cluster', 'operator'],
  );
  assert.equal((JSON.parse(after.Query[1]!.policy) as { operator: { name: string } }).operator.name, 'o1');
  const id = await n.cmd('blockchain get operator bring [operator][id]');
  await n.cmd(`blockchain drop policy where id = ${id}`);
  assert.doesNotMatch(await rows(), /operator/);
});
