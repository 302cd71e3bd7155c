// Which of our TCP addresses a peer must reply to (EdgeLake net_utils.set_ip_port_in_header L602-643): the
// internal (local network) address for a peer on the local network, else the external one.
import type { Address } from '../protocols/tcp/builders.js';

export interface TcpConnection {
  external: string;
  internal: string;
  bind: string;
}

/** `ip:port` to an address (the last colon splits, so a bracketed IPv6 host stays whole). */
export function parseAddress(text: string): Address | undefined {
  const i = text.lastIndexOf(':');
  if (i <= 0) return undefined;
  const port = Number(text.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { ip: text.slice(0, i), port };
}

/** Loopback and the private ranges count as the local network (EdgeLake compares with its local IP's network). */
export function isLocalNetwork(ip: string): boolean {
  if (ip === 'localhost' || ip.startsWith('127.') || ip === '::1') return true;
  const m = /^(\d+)\.(\d+)\./.exec(ip);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

export function replyAddress(tcp: TcpConnection | undefined, peerIp: string): Address | undefined {
  if (!tcp) return undefined;
  const external = parseAddress(tcp.external);
  const internal = parseAddress(tcp.internal);
  if (internal && (isLocalNetwork(peerIp) || !external)) return internal;
  return external;
}
