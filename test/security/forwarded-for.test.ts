import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type InProcessServer } from '../support/start-server.js';

/** The per-IP connect limit behind a load balancer: X-Forwarded-For only from a trusted proxy. */
const servers: InProcessServer[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  sockets.splice(0).forEach((socket) => socket.terminate());
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** Opens a WebSocket claiming to come through a proxy for `client`; resolves with 101 or the refusal's status. */
function upgrade(server: InProcessServer, client: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers: { 'x-forwarded-for': client } });
    sockets.push(socket);
    socket.once('open', () => resolve(101));
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', reject);
  });
}

describe('X-Forwarded-For', () => {
  it('names the client when the peer is a trusted proxy: each client has its own connect budget', async () => {
    const server = await startServer({ TRUSTED_PROXIES: '127.0.0.1,::1', WS_CONNECTS_PER_MINUTE: '2' });
    servers.push(server);
    expect([await upgrade(server, '203.0.113.7'), await upgrade(server, '203.0.113.7')]).toEqual([101, 101]);
    expect(await upgrade(server, '203.0.113.7')).toBe(429);
    expect(await upgrade(server, '203.0.113.8')).toBe(101);
  });

  it('is ignored from any other peer: a client cannot buy itself a fresh budget', async () => {
    const server = await startServer({ WS_CONNECTS_PER_MINUTE: '2' });
    servers.push(server);
    expect([await upgrade(server, '203.0.113.7'), await upgrade(server, '203.0.113.8')]).toEqual([101, 101]);
    expect(await upgrade(server, '203.0.113.9')).toBe(429);
  });
});
