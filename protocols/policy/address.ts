// bring.ip_port: which address of a node policy this node dials (tcpip/net_utils.py get_dest_ip_port
// L650-708, is_local_network L1176-1201; cmd/member_cmd.py get_valid_ip_port):
//   ip in a private range (10., 192.168., 127., 172.16-31., 100.64-127.) -> ip:port
//   ip equal to this node's external ip -> local_ip (or this node's local ip), and this node's local port
//     when that is this very node, else local_port or port
//   no ip -> local_ip:local_port (or port)
import { policyInner } from './id.js';
import { pyStr } from './pyrepr.js';
import { truthy, type PyDict, type PyValue } from './pyvalue.js';

/** This node's addresses (EdgeLake's get_external_ip / get_local_ip / ports of `run tcp server`). */
export interface NodeAddress {
  externalIp: string;
  localIp: string;
  externalPort: number;
  localPort: number;
}

export function isLocalNetwork(ip: string): boolean {
  if (ip.length < 8) return false;
  if (ip.startsWith('10.') || ip.startsWith('192.168.') || ip.startsWith('127.')) return true;
  const second = (): number => Number(ip.slice(4, ip.indexOf('.', 4)));
  if (ip.startsWith('172.') && ip[6] === '.') return second() >= 16 && second() <= 31;
  if (ip.startsWith('100.') && ip.indexOf('.', 4) >= 6) return second() >= 64 && second() <= 127;
  return false;
}

function destIpPort(p: PyDict, node: NodeAddress | undefined): [PyValue, PyValue] | undefined {
  const port = p.get('port');
  const ip = p.get('ip');
  if (ip !== undefined) {
    const ext = pyStr(ip);
    // Without this node's addresses, no policy can be "this node": the plain ip:port is used.
    if (isLocalNetwork(ext) || !node || ext !== node.externalIp) return port === undefined ? undefined : [ip, port];
    if (port === undefined) return undefined;
    const dialIp = p.get('local_ip') ?? node.localIp;
    if (pyStr(dialIp) === node.localIp && pyStr(port) === String(node.externalPort)) return [dialIp, node.localPort];
    return [dialIp, p.get('local_port') ?? port];
  }
  const local = p.get('local_ip');
  const localPort = p.get('local_port') ?? port;
  return local === undefined || localPort === undefined ? undefined : [local, localPort];
}

/** `ip:port` of each policy, comma separated; stops at the first entry that is not a policy. */
export function validIpPorts(policies: readonly PyValue[], node: NodeAddress | undefined): string {
  const out: string[] = [];
  for (const p of policies) {
    const inner = policyInner(p);
    if (!inner) break;
    const d = destIpPort(inner, node);
    if (d && truthy(d[0]) && truthy(d[1])) out.push(`${pyStr(d[0])}:${pyStr(d[1])}`);
  }
  return out.join(',');
}
