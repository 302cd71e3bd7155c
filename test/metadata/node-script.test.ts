// run-edgelake.sh's node.al through an edgelake-rt node: the same cluster and operator policies as EdgeLake (ids of
// the golden ledger, member injected), the operator started with `policy = !operator_id` taking its member and
// cluster, and the table policy and cluster entry it publishes for a new table
// (shared/spec/golden/rest_node1_blockchain_get_all.txt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootNode } from '../../main/boot.js';
import { MemorySink } from '../../base/log.js';
import { until } from '../../harness/test-node.js';

const SCRIPT = new URL('./fixtures/node.al', import.meta.url).pathname;
const GOLDEN = JSON.parse(
  readFileSync(new URL('../fixtures/golden/rest_node1_blockchain_get_all.txt', import.meta.url), 'utf8'),
) as Record<string, Record<string, unknown>>[];

const inner = (p: Record<string, Record<string, unknown>>): Record<string, unknown> => Object.values(p)[0]!;
/** A policy without the values of its run (date, member, the node's TCP port in `source`). */
function shape(p: Record<string, Record<string, unknown>>): string {
  const type = Object.keys(p)[0]!;
  const body = { ...inner(p) };
  for (const k of ['date', 'member', 'source']) if (k in body) body[k] = k;
  return JSON.stringify({ [type]: body });
}

test(
  'node.al of run-edgelake.sh builds the golden policies and starts the operator with their member and cluster',
  { timeout: 60_000 },
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'elrt-nodeal-'));
    Object.assign(process.env, {
      EL_NAME: 'node1',
      EL_TCP: '32148',
      EL_REST: '32149',
      EL_TCP_LISTEN: '0',
      EL_OPERATOR: 'true',
    });
    const logs = new MemorySink(2000);
    const running = await bootNode({ file: SCRIPT, root, logSink: logs.sink, output: () => undefined });
    t.after(async () => {
      await running.stop('test done');
      rmSync(root, { recursive: true, force: true });
    });
    const cmd = (text: string): Promise<string> => running.node.command(text, { source: 'test' });

    assert.equal(running.node.dict.get('cluster_id'), 'cdf34d419daf168289697a2dec1d852c');
    assert.equal(running.node.dict.get('operator_id'), '181fd35f24c2bc40e90b7d017baccade');
    const op = inner(
      (JSON.parse(await cmd('blockchain get operator')) as Record<string, Record<string, unknown>>[])[0]!,
    );
    const member = op['member'] as number;
    assert.ok(Number.isInteger(member) && member >= 1 && member <= 255, `member ${member}`);
    assert.match(await cmd('get processes'), /Operator +\|Running +\|Cluster Member: True/);
    const config = await cmd('get operator config');
    assert.match(
      config,
      new RegExp(`\\|\\s*${member}\\|181fd35f24c2bc40e90b7d017baccade\\|cdf34d419daf168289697a2dec1d852c\\|`),
    );

    // The golden run's rows: a new table, its policy and the cluster entry.
    writeFileSync(
      join(root, 'data', 'watch', 'test.readings.0.0.json'),
      '{"timestamp": "2026-11-24T03:02:40.000000Z", "device": "d1", "value": 21.5}\n',
    );
    await until(
      async () => (await cmd('blockchain get cluster where parent = cdf34d419daf168289697a2dec1d852c')) !== '',
      20_000,
      100,
    );
    const all = JSON.parse(await cmd('blockchain get *')) as Record<string, Record<string, unknown>>[];
    assert.deepEqual(all.map(shape), GOLDEN.map(shape));
    assert.deepEqual(
      all.map((p) => inner(p)['id']),
      GOLDEN.map((p) => inner(p)['id']),
    );
    // The policies go out before the file's rows are written: wait for the rows too.
    const sql = 'sql test format = json select tsd_name, device from readings';
    await until(async () => (JSON.parse(await cmd(sql)) as { Query: unknown[] }).Query.length === 1, 20_000, 100);
    const rows = JSON.parse(await cmd(sql)) as { Query: Record<string, unknown>[] };
    assert.deepEqual(rows.Query, [{ tsd_name: String(member), device: 'd1' }]);

    // blockchain.json holds the same policies, a json.dumps line each.
    const lines = readFileSync(join(root, 'blockchain', 'blockchain.json'), 'utf8')
      .trimEnd()
      .split('\n');
    assert.deepEqual(
      lines.map((l) => shape(JSON.parse(l) as Record<string, Record<string, unknown>>)),
      GOLDEN.map(shape),
    );
    assert.equal(`[${lines.join(', ')}]`, await cmd('blockchain get *'));
  },
);
