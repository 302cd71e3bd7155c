// `run message broker where external_ip, external_port, internal_ip, internal_port, bind, threads`
// (EdgeLake member_cmd.py L9262-9278; positional form `run message broker <ip> <port> [<local ip> <local port>] [<threads>]`).
// A port is required (net_utils.py L313-315: "Missing port in Message Broker server configuration");
// 0 asks the system for a free one (tests). `threads` is shown by `get processes` only: the broker is one
// event loop in its worker.
import { LISTENER_ALIASES, listenerFields } from '../../node/config/listener.js';
import { schema, type Infer } from '../../runtime/config/schema.js';
import { ConfigError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

const shape = listenerFields(6);
export const messageBrokerSchema = schema('message broker', shape, {
  aliases: LISTENER_ALIASES,
  refine(v, path) {
    if (v.external_port === undefined && v.internal_port === undefined)
      throw new ConfigError(`${path}.external_port: Missing port in Message Broker server configuration`, {
        code: Status.CommandStructure,
      });
  },
});
export type MessageBrokerConfig = Infer<typeof shape>;
