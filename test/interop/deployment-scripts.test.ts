// EdgeLake's own deployment scripts (github.com/EdgeLake/deployment-scripts, node-deployment/main.al and what it
// processes), unmodified, bring up a master, an operator and a query node with the docker-compose defaults
// (EdgeLake/docker-compose docker-makefiles/*-configs: NODE_TYPE, NODE_NAME, COMPANY_NAME, ports, LEDGER_CONN):
// the operator's policies reach the master, and rows PUT to the operator are counted by a query sent to the query
// node with `destination: <operator ip:port>`. Each node is a child process (`edgelake-rt start main.al`) on free
// loopback ports. Runs when EDGELAKE_DEPLOY_SCRIPTS names a checkout of the scripts; skips with a message otherwise.
// Nothing of the scripts is kept in this repository.
//
// LEDGER_CONN names the master as 127.0.0.2:<port>: set_params.al (:ledger-config:) replaces a LEDGER_CONN whose
// host is 127.0.0.1 with `!ip:32048`, EdgeLake's fixed master port, which a test on free ports cannot use. The
// master's TCP server binds every address (TCP_BIND=false), so 127.0.0.2 reaches it on Linux's loopback.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnNode, type ChildNode } from '../../harness/child-node.js';
import { http, until } from '../../harness/test-node.js';

const SCRIPTS = process.env['EDGELAKE_DEPLOY_SCRIPTS'];
const MAIN = SCRIPTS ? join(SCRIPTS, 'node-deployment', 'main.al') : '';
const skip = !SCRIPTS
  ? 'EDGELAKE_DEPLOY_SCRIPTS is not set (a checkout of EdgeLake/deployment-scripts is needed)'
  : !existsSync(MAIN)
    ? `${MAIN} is not there`
    : false;

interface Started {
  child: ChildNode;
  tcp: number;
  rest: number;
  cmd(command: string, headers?: Record<string, string>): Promise<string>;
}

async function startScripted(t: TestContext, type: string, master: number | undefined): Promise<Started> {
  const root = mkdtempSync(join(tmpdir(), `elrt-deploy-${type}-`));
  const [tcp, rest] = [await freePort(), await freePort()];
  const env: Record<string, string> = {
    // docker-makefiles/<type>-configs/base_configs.env and advance_configs.env, ports and paths made local.
    NODE_TYPE: type,
    NODE_NAME: `edgelake-${type}`,
    COMPANY_NAME: 'New Company',
    ANYLOG_SERVER_PORT: String(tcp),
    ANYLOG_REST_PORT: String(rest),
    LEDGER_CONN: `127.0.0.2:${master ?? tcp}`,
    TCP_BIND: 'false',
    REST_BIND: 'false',
    DB_TYPE: 'sqlite',
    BLOCKCHAIN_SOURCE: 'master',
    BLOCKCHAIN_SYNC: '30 second',
    THRESHOLD_TIME: '1 second',
    ANYLOG_PATH: root,
    LOCAL_SCRIPTS: SCRIPTS!,
    EDGELAKE_RT_LOG: 'warn',
  };
  const child = spawnNode(['start', MAIN, '--root', root], env);
  t.after(async () => {
    child.proc.kill('SIGTERM');
    const done = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    if (done === 'timeout') child.proc.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  const cmd = async (command: string, headers: Record<string, string> = {}): Promise<string> =>
    (await http(rest, 'GET', { command, 'User-Agent': 'AnyLog/1.23', ...headers })).body;
  // Up when its REST server answers and the config policy's script got as far as `run scheduler 1` (an operator:
  // `run operator`, a few lines later).
  const ready = type === 'operator' ? /Operator\s*\|Running/ : /\[1 \(user\)\]/;
  await until(
    async () => {
      if (child.proc.exitCode !== null) throw new Error(`${type} exited: ${child.stderr().slice(-2000)}`);
      try {
        return ready.test(await cmd('get processes'));
      } catch {
        return false; // REST is not listening yet
      }
    },
    120_000,
    250,
  );
  return { child, tcp, rest, cmd };
}

test(
  'the deployment scripts, unmodified, bring up master, operator and query; a PUT to the operator is queryable from the query node',
  { skip, timeout: 300_000 },
  async (t) => {
    const master = await startScripted(t, 'master', undefined);
    assert.match(await master.cmd('blockchain get master bring [master][name]'), /^edgelake-master$/);
    const [operator, query] = await Promise.all([
      startScripted(t, 'operator', master.tcp),
      startScripted(t, 'query', master.tcp),
    ]);
    // The operator's and the query node's policies reach the master (pushed by `blockchain insert ... master=`).
    await until(
      async () =>
        (await master.cmd('blockchain get operator bring [operator][name]')) === 'edgelake-operator' &&
        (await master.cmd('blockchain get query bring [query][name]')) === 'edgelake-query' &&
        (await master.cmd('blockchain get cluster bring.count')) === '1',
      30_000,
      250,
    );
    const rows = [
      { timestamp: '2026-01-02T03:04:05Z', value: 1 },
      { timestamp: '2026-01-02T03:04:06Z', value: 2 },
      { timestamp: '2026-01-02T03:04:07Z', value: 3 },
    ];
    const put = await http(
      operator.rest,
      'PUT',
      {
        type: 'json',
        dbms: 'new_company',
        table: 'deploy_t',
        mode: 'streaming',
        'Content-Type': 'text/plain',
        'User-Agent': 'AnyLog/1.23',
      },
      JSON.stringify(rows),
    );
    assert.equal(put.status, 200, put.body);
    let last = '';
    await until(
      async () => {
        last = await query.cmd('sql new_company format=json "select count(*), sum(value) from deploy_t"', {
          destination: `127.0.0.1:${operator.tcp}`,
        });
        return /"count\(\*\)":\s*3/.test(last);
      },
      60_000,
      500,
    );
    assert.match(last, /"sum\(value\)":\s*6/);
  },
);
