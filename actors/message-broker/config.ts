// `run message broker where external_ip, external_port, internal_ip, internal_port, bind, threads`
// (EdgeLake member_cmd.py L9262-9278; positional form `run message broker <ip> <port> [<local ip> <local port>] [<threads>]`).
import { LISTENER_ALIASES, listenerFields } from '../../runtime/config/common.js';
import { schema, type Infer } from '../../runtime/config/schema.js';

const shape = listenerFields(6);
export const messageBrokerSchema = schema('message broker', shape, { aliases: LISTENER_ALIASES });
export type MessageBrokerConfig = Infer<typeof shape>;
