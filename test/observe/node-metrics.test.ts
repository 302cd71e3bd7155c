import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeMetrics } from '../../node/metrics/node-metrics.js';
import type { ChildInfo } from '../../runtime/supervisor.js';
import { parsePrometheusText, valueOf } from './prom-text.js';

function metricsOver(children: ChildInfo[]): NodeMetrics {
  return new NodeMetrics({ children: () => children, capacity: () => 1024, rings: () => [] });
}

test('reports outside the catalog are refused and counted, never exposed', async () => {
  const m = metricsOver([]);
  m.apply([
    { k: 'inc', name: 'edgelake_rt_made_up_total', labels: {}, v: 1 },
    { k: 'inc', name: 'edgelake_rt_rows_applied_total', labels: { dbms: 'a' }, v: 1 },
    { k: 'inc', name: 'edgelake_rt_rows_applied_total', labels: { dbms: 'a', table: 't', extra: 'x' }, v: 1 },
    { k: 'set', name: 'edgelake_rt_rows_applied_total', labels: { dbms: 'a', table: 't' }, v: 5 },
    { k: 'inc', name: 'edgelake_rt_rows_applied_total', labels: { dbms: 'a', table: 't' }, v: 7 },
    { k: 'obs', name: 'edgelake_rt_dbms_write_duration_seconds', labels: { dbms: 'a' }, vs: [0.002, 0.2] },
  ]);
  assert.equal(m.refused, 4);
  const f = parsePrometheusText(await m.text());
  assert.equal(f.has('edgelake_rt_made_up_total'), false);
  assert.equal(valueOf(f, 'edgelake_rt_rows_applied_total', { dbms: 'a', table: 't' }), 7);
  assert.equal(f.get('edgelake_rt_rows_applied_total')!.samples.length, 1);
  assert.equal(valueOf(f, 'edgelake_rt_dbms_write_duration_seconds_count', { dbms: 'a' }), 2);
  assert.equal(valueOf(f, 'edgelake_rt_dbms_write_duration_seconds_bucket', { dbms: 'a', le: '0.005' }), 1);
});

test('the restart counter only grows, also when a service is run again and its supervisor count starts over', async () => {
  const child: ChildInfo = { id: 'operator', kind: 'operator', status: 'running', restarts: 2, startedAt: Date.now() };
  const m = metricsOver([child]);
  const restarts = async (): Promise<number | undefined> =>
    valueOf(parsePrometheusText(await m.text()), 'edgelake_rt_service_restarts_total', { service: 'operator' });
  assert.equal(await restarts(), 2);
  child.restarts = 3;
  assert.equal(await restarts(), 3);
  child.restarts = 0; // `exit operator` then `run operator`: a new child
  assert.equal(await restarts(), 3);
  child.restarts = 1;
  assert.equal(await restarts(), 4);
  child.status = 'restarting';
  const f = parsePrometheusText(await m.text());
  assert.equal(valueOf(f, 'edgelake_rt_service_up', { service: 'operator' }), 0);
  assert.equal(valueOf(f, 'edgelake_rt_service_uptime_seconds', { service: 'operator' }), 0);
});
