import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { tcpStreamOf, wireFrame, writesStraight } from '../../src/transport/fanout/ws-stream.js';

/**
 * The shared fan-out uses ws' private `_socket` (src/transport/fanout/ws-stream.ts): to cork it, and
 * to write whole frames to it past ws' sender. If a ws release renames or wraps it, or starts holding
 * frames back, these tests fail first.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function connectedPair(perMessageDeflate = false) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<[WebSocket, IncomingMessage]>((resolve) => wss.once('connection', (socket, request) => resolve([socket, request])));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, { perMessageDeflate });
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

describe('whole frames written straight to the TCP stream', () => {
  it('reach a ws client intact and in order with what ws itself sends, whatever their length', async () => {
    const { server, client } = await connectedPair();
    expect(writesStraight(server)).toBe(true);
    const received: { text: string; binary: boolean }[] = [];
    client.on('message', (data, isBinary) => received.push({ text: isBinary ? `bytes:${(data as Buffer).length}` : String(data), binary: isBinary }));
    const stream = tcpStreamOf(server)!;
    const long = 'x'.repeat(70_000);
    stream.write(wireFrame([Buffer.from('short')], false));
    server.send('through ws');
    stream.write(wireFrame([Buffer.from('{"a":'), Buffer.from('y'.repeat(200)), Buffer.from('}')], false));
    server.ping();
    stream.write(wireFrame([Buffer.from(long)], false));
    stream.write(wireFrame([Buffer.alloc(300, 7)], true));
    server.send('last');
    for (let i = 0; i < 100 && received.length < 6; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).toEqual([
      { text: 'short', binary: false },
      { text: 'through ws', binary: false },
      { text: `{"a":${'y'.repeat(200)}}`, binary: false },
      { text: long, binary: false },
      { text: 'bytes:300', binary: true },
      { text: 'last', binary: false },
    ]);
  });

  it('are not used when an extension was negotiated (ws may hold frames back to compress them)', async () => {
    const { server } = await connectedPair(true);
    expect(server.extensions).toContain('permessage-deflate');
    expect(writesStraight(server)).toBe(false);
  });
});
