import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { msgpackWebSocket } from '@titan-realtime/client';
import { MSGPACK_PROTOCOL, pack, unpack } from '../../src/transport/wire-format.js';

/**
 * The client's MessagePack WebSocket class over Node's `ws`, against a bare `ws` server that plays
 * whatever the test needs: the protocol it picks is the first the client offers, unless the client
 * offered `prefer-json` in the URL.
 */
let wss: WebSocketServer;
let url: string;
const offers: string[][] = [];
const serverSockets: WebSocket[] = [];
const clients: WebSocket[] = [];

beforeAll(async () => {
  wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (protocols, request) => {
      offers.push([...protocols]);
      return request.url?.includes('prefer-json') ? 'graphql-transport-ws' : ([...protocols][0] ?? false);
    },
  });
  wss.on('connection', (socket) => serverSockets.push(socket));
  await new Promise((resolve) => wss.once('listening', resolve));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  clients.forEach((socket) => socket.terminate());
  await new Promise((resolve) => wss.close(resolve));
});

const MsgpackWebSocket = msgpackWebSocket(WebSocket as unknown as typeof globalThis.WebSocket);

/** Opens a client socket as graphql-ws does, and returns it with its server side. */
async function open(path = '') {
  const client = new MsgpackWebSocket(url + path, 'graphql-transport-ws');
  clients.push(client as unknown as WebSocket);
  const received: unknown[] = [];
  client.onmessage = (event) => received.push(event.data);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (client.onclose = ({ code, reason }) => resolve({ code, reason })));
  await new Promise((resolve) => (client.onopen = resolve));
  const server = serverSockets.at(-1) as WebSocket;
  const serverFrames: { data: RawData; binary: boolean }[] = [];
  server.on('message', (data, binary) => serverFrames.push({ data, binary }));
  return { client, server, received, serverFrames, closed };
}

const until = async (done: () => boolean) => {
  for (let waited = 0; !done(); waited += 5) {
    if (waited > 2000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('msgpackWebSocket', () => {
  it('offers MessagePack first, then the protocols graphql-ws asks for', async () => {
    const { client } = await open();
    expect(offers.at(-1)).toEqual([MSGPACK_PROTOCOL, 'graphql-transport-ws']);
    expect(client.protocol).toBe(MSGPACK_PROTOCOL);
    expect(client.binaryType).toBe('arraybuffer');
  });

  it('packs what graphql-ws sends and hands it the JSON text of what arrives', async () => {
    const { client, server, received, serverFrames } = await open();
    const subscribe = { id: '1', type: 'subscribe', payload: { query: '{ symbols }', variables: { a: [1, 2.5, null] } } };
    client.send(JSON.stringify(subscribe));
    await until(() => serverFrames.length === 1);
    expect(serverFrames[0]?.binary).toBe(true);
    expect(unpack(serverFrames[0]?.data as Buffer)).toEqual(subscribe);

    const next = { id: '1', type: 'next', payload: { data: { symbols: ['A', 'B'] } } };
    server.send(pack(next));
    await until(() => received.length === 1);
    expect(received[0]).toBe(JSON.stringify(next));
    expect(client.onmessage).toBeTypeOf('function');
  });

  it('speaks plain JSON when the server chooses graphql-transport-ws', async () => {
    const { client, server, received, serverFrames } = await open('prefer-json');
    expect(client.protocol).toBe('graphql-transport-ws');
    client.send('{"type":"connection_init"}');
    server.send('{"type":"connection_ack"}');
    await until(() => serverFrames.length === 1 && received.length === 1);
    expect([serverFrames[0]?.binary, String(serverFrames[0]?.data)]).toEqual([false, '{"type":"connection_init"}']);
    expect(received).toEqual(['{"type":"connection_ack"}']);
  });

  it.each([
    ['a text frame', '{"type":"connection_ack"}'],
    ['the reserved byte 0xc1', Buffer.from([0xc1])],
    ['truncated MessagePack', pack({ type: 'next', id: '1' }).subarray(0, 5)],
    ['a MessagePack value that is not a map', pack('connection_ack')],
  ])('closes with 4004 (bad response) on %s from the server', async (_, frame) => {
    const { server, received, closed } = await open();
    server.send(frame);
    const close = await closed;
    expect(close.code).toBe(4004);
    expect(close.reason).toMatch(/not a MessagePack map/);
    expect(received).toEqual([]);
  });
});
