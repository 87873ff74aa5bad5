import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { proxyList } from '../../src/config.js';
import { clientAddress } from '../../src/transport/client-address.js';

function request(peer: string, forwardedFor?: string | string[]): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('proxyList (TRUSTED_PROXIES)', () => {
  it('takes addresses and CIDR subnets of both families', () => {
    const list = proxyList(['10.0.0.7', '172.28.0.0/16', '::1', 'fd00::/8']);
    expect(list?.check('172.28.4.1', 'ipv4')).toBe(true);
    expect(list?.check('172.29.0.1', 'ipv4')).toBe(false);
    expect(list?.check('fd12::1', 'ipv6')).toBe(true);
    expect(proxyList([])).toBeNull();
  });

  it.each(['nginx', '10.0.0.0/33', '10.0.0.1/8/8', '::1/129', '10.0.0/8', '10.0.0.1/x'])('refuses %s, naming it', (entry) => {
    expect(() => proxyList([entry])).toThrow(entry);
  });
});

describe('clientAddress', () => {
  const trusted = proxyList(['10.0.0.7', '10.1.0.0/16']);

  it('is the TCP peer when no proxy is trusted, whatever the header says', () => {
    expect(clientAddress(request('198.51.100.9', '203.0.113.1'), null)).toBe('198.51.100.9');
  });

  it('is the TCP peer when the peer is not a trusted proxy', () => {
    expect(clientAddress(request('198.51.100.9', '203.0.113.1'), trusted)).toBe('198.51.100.9');
  });

  it('is the nearest untrusted hop behind trusted proxies, never what the client claimed further left', () => {
    expect(clientAddress(request('10.0.0.7', '203.0.113.1'), trusted)).toBe('203.0.113.1');
    expect(clientAddress(request('10.0.0.7', '1.2.3.4, 203.0.113.1, 10.1.2.3'), trusted)).toBe('203.0.113.1');
    expect(clientAddress(request('::ffff:10.0.0.7', ['1.2.3.4', '203.0.113.1']), trusted)).toBe('203.0.113.1');
  });

  it('stops at garbage, and falls back to the last trusted hop when every hop is trusted or absent', () => {
    expect(clientAddress(request('10.0.0.7', 'not-an-ip, 203.0.113.1'), trusted)).toBe('203.0.113.1');
    expect(clientAddress(request('10.0.0.7', '203.0.113.1, not-an-ip'), trusted)).toBe('10.0.0.7');
    expect(clientAddress(request('10.0.0.7', '10.1.0.9'), trusted)).toBe('10.1.0.9');
    expect(clientAddress(request('10.0.0.7'), trusted)).toBe('10.0.0.7');
  });
});
