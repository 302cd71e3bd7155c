// `run tcp server where external_ip, external_port, internal_ip, internal_port, bind, threads`
// (EdgeLake member_cmd.py L9389-9432; positional form `run tcp server <ip> <port> [<local ip> <local port>] [<threads>]`).
// `threads` is the number of command workers (`tcp-worker-<n>`, one worker thread each). EdgeLake's pool is 6
// threads that each run a command to its end; here a worker hands the command to the node and serves many at
// once, so 1 worker keeps up on a 2-core machine and each one more costs ~10 MB (README.md): default 1.
// edgelake-rt adds limits EdgeLake does not have (README.md).
import { LISTENER_ALIASES, listenerFields } from '../../node/config/listener.js';
import { int, schema, type Infer } from '../../runtime/config/schema.js';

const shape = {
  ...listenerFields(1),
  max_connections: int(1024, { min: 1, max: 65536 }, { doc: 'inbound connections at once; more are closed at accept' }),
  max_message_mb: int(
    64,
    { min: 1, max: 4096 },
    { doc: 'largest answer (print, echo, job reply) accepted from a peer' },
  ),
  max_assembly_mb: int(
    128,
    { min: 1, max: 65536 },
    { doc: 'payload held by all messages being assembled at once (all peers); the peer that goes over is closed' },
  ),
  message_timeout: int(30, { min: 1 }, { doc: 'seconds a peer has to finish sending a message' }),
  command_timeout: int(300, { min: 1 }, { doc: 'seconds a command from a peer may run' }),
};
export const tcpServerSchema = schema('tcp server', shape, { aliases: LISTENER_ALIASES });
export type TcpServerConfig = Infer<typeof shape>;

/** A command worker's options (set by the TCP service, not by users). */
const workerShape = {
  index: int(1, { min: 1 }),
  /** Records handled at once (commands waiting for the node, files being written). */
  max_inflight: int(256, { min: 1, max: 65536 }),
  command_timeout: int(300, { min: 1 }),
};
export const tcpWorkerSchema = schema('tcp worker', workerShape);
export type TcpWorkerConfig = Infer<typeof workerShape>;
