import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * The proxies whose `X-Forwarded-For` is believed: addresses (`10.0.0.7`, `::1`) and subnets in CIDR
 * form (`172.28.0.0/16`). Throws a message naming the entry that is neither.
 */
export function trustedProxies(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))) {
      throw new Error(`"${entry}" is not an IP address or a CIDR subnet`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/** `::ffff:10.0.0.7` (an IPv4 peer on a dual-stack socket) as `10.0.0.7`. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function isTrusted(trusted: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The client's address: the TCP peer, unless the peer is a trusted proxy; then the nearest address
 * in `X-Forwarded-For` (read from the right, as each proxy appends) that is not a trusted proxy.
 * Entries left of an untrusted hop are whatever the client claimed and are never used.
 */
export function clientAddress(request: IncomingMessage, trusted: BlockList | null): string {
  let address = plain(request.socket.remoteAddress ?? 'unknown');
  if (!trusted || !isTrusted(trusted, address)) return address;
  const header = request.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = plain((hops[i] ?? '').trim());
    if (hop === '') continue;
    if (isIP(hop) === 0) return address; // garbage: stop at the last address a trusted proxy gave
    address = hop;
    if (!isTrusted(trusted, hop)) return hop;
  }
  return address;
}
