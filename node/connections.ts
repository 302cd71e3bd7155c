// The addresses the node's network services listen on (EdgeLake net_utils.py's connection table): the TCP
// server, the REST server and the message broker register theirs once started and drop them when they stop.
// Read by `get connections`, `get status` (the node's name is `name@<TCP external>`), replies to peers and
// what workers learn through `node.identity`. The only writer of those rows is this module's `register`.
import { parseAddress, type TcpConnection } from '../peer/address.js';
import type { NodeAddress } from '../protocols/policy/address.js';

/** EdgeLake's rows, in the order `get connections` lists them (net_utils.py L1326-1400). */
export const CONNECTION_NAMES = ['TCP', 'REST', 'Messaging'] as const;

export type ConnectionName = (typeof CONNECTION_NAMES)[number];

/** `ip:port` strings: the address peers use, the local-network one and the one bound. */
export type ConnectionAddresses = TcpConnection;

export class Connections {
  private readonly rows = new Map<ConnectionName, ConnectionAddresses>();

  /** `onChange`: told after every register and unregister (the node's identity cell follows the TCP row). */
  constructor(private readonly onChange: (name: ConnectionName) => void = () => undefined) {}

  register(name: ConnectionName, addresses: ConnectionAddresses): void {
    this.rows.set(name, { external: addresses.external, internal: addresses.internal, bind: addresses.bind });
    this.onChange(name);
  }

  unregister(name: ConnectionName): void {
    this.rows.delete(name);
    this.onChange(name);
  }

  get(name: ConnectionName): ConnectionAddresses | undefined {
    return this.rows.get(name);
  }

  /** The registered rows (a copy), as workers receive them in `node.identity`. */
  list(): Partial<Record<ConnectionName, ConnectionAddresses>> {
    return Object.fromEntries(this.rows);
  }
}

/**
 * The TCP row as policies name a node (`bring.ip_port`, a cluster member): the internal address defaults to the
 * external one; undefined without a TCP server.
 */
export function policyAddressOf(tcp: ConnectionAddresses | undefined): NodeAddress | undefined {
  const ext = tcp ? parseAddress(tcp.external) : undefined;
  const int = tcp ? parseAddress(tcp.internal) : undefined;
  if (!ext) return undefined;
  return { externalIp: ext.ip, externalPort: ext.port, localIp: int?.ip ?? ext.ip, localPort: int?.port ?? ext.port };
}
