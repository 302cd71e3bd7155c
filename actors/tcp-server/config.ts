// `run tcp server where external_ip, external_port, internal_ip, internal_port, bind, threads`
// (EdgeLake member_cmd.py L9389-9432; positional form `run tcp server <ip> <port> [<local ip> <local port>] [<threads>]`).
import { LISTENER_ALIASES, listenerFields } from '../../runtime/config/common.js';
import { schema, type Infer } from '../../runtime/config/schema.js';

const shape = listenerFields(6);
export const tcpServerSchema = schema('tcp server', shape, { aliases: LISTENER_ALIASES });
export type TcpServerConfig = Infer<typeof shape>;
