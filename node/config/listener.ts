// Option groups shared by several services.
import { bool, int, port, str } from '../../runtime/config/schema.js';

/**
 * The address options of EdgeLake's listeners (TCP, REST, message broker; net_utils.py L166-327).
 * EdgeLake defaults `bind` to false (all interfaces); edgelake-rt binds the given address unless
 * `bind = false` is asked for, so nothing listens beyond loopback by accident.
 */
export function listenerFields(defaultThreads: number) {
  return {
    external_ip: str(undefined, { doc: 'address peers use to reach this node' }),
    external_port: port(undefined, { doc: 'port peers use' }),
    internal_ip: str(undefined, { doc: 'address on the local network (the one listened on when given)' }),
    internal_port: port(undefined, { doc: 'port on the local network' }),
    bind: bool(true, { doc: 'true: listen on the given address only; false: on all interfaces' }),
    threads: int(defaultThreads, { min: 1, max: 64 }, { doc: 'worker threads (pool size)' }),
  };
}

/** EdgeLake's `workers` is an alternative name for `threads` (tcp server, message broker). */
export const LISTENER_ALIASES = { workers: 'threads' };

export interface ListenerConfig {
  external_ip?: string;
  external_port?: number;
  internal_ip?: string;
  internal_port?: number;
  bind: boolean;
}

/** Where to listen: the internal address when given, else the external one (EdgeLake's rule). */
export function listenAddress(c: ListenerConfig): { host: string; port: number } {
  const host = c.internal_ip ?? c.external_ip ?? '127.0.0.1';
  const p = c.internal_port ?? c.external_port ?? 0;
  return { host: c.bind ? host : '0.0.0.0', port: p };
}

/** The directory options most ingest services share, defaulting to the node's dictionary. */
export function dirFields() {
  return {
    prep_dir: str(),
    watch_dir: str(),
    err_dir: str(),
    blobs_dir: str(),
    bwatch_dir: str(),
  };
}
