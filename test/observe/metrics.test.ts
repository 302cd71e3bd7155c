import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REST_NODE, http, startTestNode, until } from '../../harness/test-node.js';
import { ControlClient } from '../../runtime/control/client.js';
import { socketPath } from '../../node/layout.js';
import { METRICS } from '../../node/metrics/catalog.js';
import { parsePrometheusText, valueOf, type Family } from './prom-text.js';

const rows = (n: number, base = 0): string =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      timestamp: new Date(Date.UTC(2026, 0, 1) + base + i).toISOString(),
      value: base + i,
    })),
  );

async function scrape(port: number): Promise<Map<string, Family>> {
  const r = await http(port, 'GET', {}, undefined, '/metrics');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(r.body);
}

const put = (port: number, n: number, base: number) =>
  http(port, 'PUT', { type: 'json', dbms: 'test', table: 'readings', mode: 'streaming' }, rows(n, base));

test('/metrics parses strictly, and its counters move with ingest and survive an operator kill', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const before = await scrape(n.port);
  // Every family of the catalog is declared with its type, and names follow the conventions.
  for (const [name, def] of Object.entries(METRICS)) {
    assert.equal(before.get(name)?.type, def.type, name);
    if (def.type === 'counter') assert.match(name, /_total$/);
    else assert.doesNotMatch(name, /_total$/);
  }
  assert.equal(valueOf(before, 'edgelake_rt_service_up', { service: 'operator' }), 1);
  assert.equal(valueOf(before, 'edgelake_rt_service_restarts_total', { service: 'operator' }), 0);
  assert.equal(valueOf(before, 'edgelake_rt_rows_ingested_total', { table: 'readings' }), undefined);
  assert.ok(valueOf(before, 'edgelake_rt_process_resident_memory_bytes')! > 0);

  assert.equal((await put(n.port, 300, 0)).status, 200);
  const ingested = { dbms: 'test', table: 'readings', source: 'rest-server' };
  let after = before;
  // Workers report about once a second.
  await until(
    async () => {
      after = await scrape(n.port);
      // Each worker reports on its own one-second beat: the operator's count may come before the REST server's.
      return (
        valueOf(after, 'edgelake_rt_rows_applied_total', { dbms: 'test', table: 'readings' }) === 300 &&
        valueOf(after, 'edgelake_rt_rows_ingested_total', ingested) === 300
      );
    },
    10_000,
    100,
  );
  assert.equal(valueOf(after, 'edgelake_rt_rows_ingested_total', ingested), 300);
  // A body that is not JSON rows is refused and counted, and no row of it is.
  const bad = await http(n.port, 'PUT', { type: 'json', dbms: 'test', table: 'readings', mode: 'streaming' }, '{oops');
  assert.notEqual(bad.status, 200);
  await until(
    async () =>
      valueOf(await scrape(n.port), 'edgelake_rt_ingest_requests_rejected_total', { source: 'rest-server' }) === 1,
    5000,
    100,
  );
  assert.equal(valueOf(await scrape(n.port), 'edgelake_rt_rows_ingested_total', ingested), 300);
  assert.ok(valueOf(after, 'edgelake_rt_journal_commit_duration_seconds_count', { source: 'rest-server' })! >= 1);
  assert.ok(valueOf(after, 'edgelake_rt_dbms_write_duration_seconds_count', { dbms: 'test' })! >= 1);
  assert.ok(valueOf(after, 'edgelake_rt_worker_heap_used_bytes', { actor: 'operator' })! > 0);
  assert.ok(
    valueOf(after, 'edgelake_rt_worker_heap_total_bytes', { actor: 'operator' })! >=
      valueOf(after, 'edgelake_rt_worker_heap_used_bytes', { actor: 'operator' })!,
  );
  // The local query that the status of a table needs is counted too.
  await n.cmd('sql test format = json "select count(*) from readings"');
  const q = await scrape(n.port);
  assert.ok(valueOf(q, 'edgelake_rt_queries_total', { scope: 'local', outcome: 'ok' })! >= 1);

  // Kill the operator's worker through the control socket (what `edgelake-rt kill operator` does).
  const control = await ControlClient.connect(socketPath(n.root));
  t.after(() => control.close());
  assert.equal((await control.request({ op: 'kill', actor: 'operator' })).ok, true);
  let killed = after;
  await until(
    async () => {
      killed = await scrape(n.port);
      return (
        valueOf(killed, 'edgelake_rt_service_restarts_total', { service: 'operator' }) === 1 &&
        valueOf(killed, 'edgelake_rt_service_up', { service: 'operator' }) === 1
      );
    },
    15_000,
    100,
  );
  // The node kept the counters: the restarted operator's worker starts at zero, the metric does not.
  assert.equal(valueOf(killed, 'edgelake_rt_rows_applied_total', { dbms: 'test', table: 'readings' }), 300);
  assert.equal(valueOf(killed, 'edgelake_rt_rows_ingested_total', ingested), 300);

  assert.equal((await put(n.port, 200, 1000)).status, 200);
  await until(
    async () => {
      const m = await scrape(n.port);
      return (
        valueOf(m, 'edgelake_rt_rows_applied_total', { dbms: 'test', table: 'readings' }) === 500 &&
        valueOf(m, 'edgelake_rt_rows_ingested_total', ingested) === 500
      );
    },
    10_000,
    100,
  );
  const last = await scrape(n.port);
  assert.equal(valueOf(last, 'edgelake_rt_rows_ingested_total', ingested), 500);
  assert.equal(valueOf(last, 'edgelake_rt_service_restarts_total', { service: 'operator' }), 1);
});

test('the metrics port serves /metrics, /healthz and /readyz only, and GET only', async (t) => {
  const n = await startTestNode(
    'node:\n  name: m\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n    metrics_port: 0\n',
  );
  t.after(() => n.stop());
  const info = await n.cmd('get rest server info');
  assert.match(info, /connection/);
  const mp = (
    await n.running.node.ask((await import('../../actors/rest-server/messages.js')).REST_SERVER, { type: 'rest.info' })
  ).metricsPort!;
  assert.ok(mp > 0 && mp !== n.port);
  const m = await http(mp, 'GET', {}, undefined, '/metrics');
  assert.equal(m.status, 200);
  assert.ok(parsePrometheusText(m.body).has('edgelake_rt_service_up'));
  assert.equal((await http(mp, 'GET', {}, undefined, '/healthz')).status, 200);
  const ready = await http(mp, 'GET', {}, undefined, '/readyz');
  assert.equal(ready.status, 200, ready.body);
  assert.deepEqual(JSON.parse(ready.body), { ready: true, reasons: [] });
  assert.equal((await http(mp, 'GET', { command: 'get status' }, undefined, '/')).status, 404);
  assert.equal((await http(mp, 'POST', {}, '', '/metrics')).status, 405);
  assert.equal((await http(n.port, 'DELETE', {}, undefined, '/readyz')).status, 405);
});

test('journal lag: rows acknowledged for a dbms not yet connected show as unapplied and aging, then drain', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const r = await http(n.port, 'PUT', { type: 'json', dbms: 'later', table: 'waiting', mode: 'streaming' }, rows(120));
  assert.equal(r.status, 200);
  let m = await scrape(n.port);
  await until(
    async () => {
      m = await scrape(n.port);
      return (
        valueOf(m, 'edgelake_rt_journal_unapplied_rows') === 120 &&
        valueOf(m, 'edgelake_rt_rows_ingested_total', { dbms: 'later', table: 'waiting', source: 'rest-server' }) ===
          120
      );
    },
    10_000,
    100,
  );
  assert.equal(valueOf(m, 'edgelake_rt_journal_unapplied_entries'), 1);
  assert.equal(
    valueOf(m, 'edgelake_rt_rows_ingested_total', { dbms: 'later', table: 'waiting', source: 'rest-server' }),
    120,
  );
  const age1 = valueOf(m, 'edgelake_rt_journal_oldest_unapplied_age_seconds')!;
  assert.ok(age1 > 0);
  await until(
    async () => valueOf(await scrape(n.port), 'edgelake_rt_journal_oldest_unapplied_age_seconds')! >= age1 + 1,
    10_000,
    200,
  );
  await n.cmd('connect dbms later where type = sqlite');
  await until(
    async () => {
      m = await scrape(n.port);
      return valueOf(m, 'edgelake_rt_journal_unapplied_rows') === 0;
    },
    15_000,
    100,
  );
  assert.equal(valueOf(m, 'edgelake_rt_journal_unapplied_entries'), 0);
  assert.equal(valueOf(m, 'edgelake_rt_journal_oldest_unapplied_age_seconds'), 0);
  assert.equal(valueOf(m, 'edgelake_rt_rows_applied_total', { dbms: 'later', table: 'waiting' }), 120);
});
