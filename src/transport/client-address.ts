import type { IncomingMessage } from 'node:http';
import { isIP, type BlockList } from 'node:net';

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
