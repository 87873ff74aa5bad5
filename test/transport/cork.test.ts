import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { tcpStreamOf } from '../../src/transport/fanout/cork.js';

/**
 * Corking reads ws' private `_socket` (src/transport/fanout/cork.ts). If a ws release renames or
 * wraps it, frames silently stop being joined into one write: these tests fail first.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function connectedPair() {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<[WebSocket, IncomingMessage]>((resolve) => wss.once('connection', (socket, request) => resolve([socket, request])));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  const [[server, request]] = await Promise.all([accepted, new Promise((resolve) => client.once('open', resolve))]);
  cleanups.push(async () => {
    client.terminate();
    await new Promise<void>((resolve) => wss.close(() => http.close(() => resolve())));
  });
  return { server, client, tcp: request.socket as Socket };
}

describe("the TCP stream under a ws socket (ws' private _socket)", () => {
  it('is the very socket the upgrade came in on', async () => {
    const { server, tcp } = await connectedPair();
    expect(tcpStreamOf(server)).toBe(tcp);
  });

  it('holds frames sent while corked and writes them together on uncork', async () => {
    const { server, client, tcp } = await connectedPair();
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));
    const stream = tcpStreamOf(server);
    if (!stream) throw new Error('no TCP stream under the ws socket');
    stream.cork();
    server.send('one');
    server.send('two');
    // Held in the stream's buffer (uncorked, a small write goes straight to the kernel).
    expect(tcp.writableCorked).toBe(1);
    expect(tcp.writableLength).toBeGreaterThan(0);
    stream.uncork();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toEqual(['one', 'two']);
  });
});
