// Query metrics: count, latency and timeouts of the SQL a node runs (local `sql`, network `run client ... sql`).
import type { NodeMetrics } from './node-metrics.js';

export type QueryScope = 'local' | 'network';

/**
 * Runs `fn` and counts it (`ok` or `error` by whether it throws) with its latency; `fn` calls `timedOut()` when a
 * peer did not answer in time (a network query may still succeed with `subset = true`).
 */
export async function timedQuery<T>(
  metrics: NodeMetrics | undefined,
  scope: QueryScope,
  fn: (timedOut: () => void) => Promise<T>,
): Promise<T> {
  let late = false;
  const timedOut = (): void => void (late = true);
  if (!metrics) return fn(timedOut);
  const t0 = performance.now();
  try {
    const r = await fn(timedOut);
    metrics.counter('edgelake_rt_queries_total').inc({ scope, outcome: 'ok' });
    return r;
  } catch (err) {
    metrics.counter('edgelake_rt_queries_total').inc({ scope, outcome: 'error' });
    throw err;
  } finally {
    if (late) metrics.counter('edgelake_rt_query_timeouts_total').inc();
    metrics.histogram('edgelake_rt_query_duration_seconds').observe({ scope }, (performance.now() - t0) / 1000);
  }
}
