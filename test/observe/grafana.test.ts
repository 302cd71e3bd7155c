import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startTestNode, http } from '../../harness/test-node.js';
import { METRICS } from '../../node/metrics/catalog.js';
import { parsePrometheusText } from './prom-text.js';

const DIR = new URL('../../examples/grafana/', import.meta.url);

interface Panel {
  title: string;
  targets: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync(new URL('edgelake-rt-dashboard.json', DIR), 'utf8')) as {
  uid: string;
  panels: Panel[];
};

/** Metric families an expression reads (`_bucket` and friends belong to their histogram). */
function familiesOf(expr: string): string[] {
  return [...expr.matchAll(/\bedgelake_rt_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

test('every metric the Grafana dashboard queries is one a live node exposes, and it charts the whole catalog', async (t) => {
  const n = await startTestNode(
    'node:\n  name: g\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n',
  );
  t.after(() => n.stop());
  const live = parsePrometheusText((await http(n.port, 'GET', {}, undefined, '/metrics')).body);
  const used = new Set<string>();
  for (const p of dashboard.panels) {
    assert.ok(p.targets.length > 0, `${p.title}: no query`);
    for (const q of p.targets) {
      for (const f of familiesOf(q.expr)) {
        assert.ok(live.has(f), `${p.title}: ${f} is not exposed`);
        used.add(f);
      }
    }
  }
  // The mailbox bound is named in the depth panel's description, not charted on its own.
  const charted = Object.keys(METRICS).filter((m) => m !== 'edgelake_rt_service_mailbox_capacity');
  assert.deepEqual(
    charted.filter((m) => !used.has(m)),
    [],
  );
});

test('the Prometheus scrape config beside the dashboard scrapes /metrics', () => {
  const cfg = parse(readFileSync(new URL('prometheus.yml', DIR), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
  };
  const job = cfg.scrape_configs.find((j) => j.job_name === 'edgelake-rt');
  assert.equal(job?.metrics_path, '/metrics');
  assert.ok(job.static_configs[0]!.targets.every((x) => /^[\w.-]+:\d+$/.test(x)));
});
