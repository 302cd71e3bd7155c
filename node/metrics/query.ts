// Query metrics: count, latency and timeouts of the SQL a node runs (local `sql`, network `run client ... sql`).
import type { NodeMetrics } from './node-metrics.js';

export type QueryScope = 'local' | 'network';

/** Runs `fn` and counts it: `timedOut(result)` tells a network query that some peer did not answer in time. */
export async function timedQuery<T>(
  metrics: NodeMetrics | undefined,
  scope: QueryScope,
  fn: () => Promise<T>,
  timedOut?: (r: T) => boolean,
): Promise<T> {
  if (!metrics) return fn();
  const t0 = performance.now();
  try {
    const r = await fn();
    metrics.counter('edgelake_rt_queries_total').inc({ scope, outcome: 'ok' });
    if (timedOut?.(r)) metrics.counter('edgelake_rt_query_timeouts_total').inc();
    return r;
  } catch (err) {
    metrics.counter('edgelake_rt_queries_total').inc({ scope, outcome: 'error' });
    throw err;
  } finally {
    metrics.histogram('edgelake_rt_query_duration_seconds').observe({ scope }, (performance.now() - t0) / 1000);
  }
}
