import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/transport/close-codes.js';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startProcess, startServer, tokenFor, type InProcessServer, type ServerProcess, type TestServer } from '../support/start-server.js';

/**
 * Instances on one Redis hold a user to one budget: mutations, WebSockets per user and connection
 * attempts per address are counted across them; an instance that dies stops counting after the
 * lease; while Redis is frozen each instance counts alone and nothing breaks.
 */

let redis: TestRedis;
let a: InProcessServer;
let b: InProcessServer;
const clients: ProtocolClient[] = [];

/** Small limits and a short lease; the load balancer (127.0.0.1) names clients in X-Forwarded-For. */
const ENV = {
  MUTATIONS_PER_SECOND: '0.5', // a burst of 1, then one every 2 s
  PUBLISHES_PER_SECOND: '0.5',
  MAX_CONNECTIONS_PER_USER: '2',
  WS_CONNECTS_PER_MINUTE: '30',
  CONNECTION_LEASE_MS: '900',
  REDIS_COMMAND_TIMEOUT_MS: '300',
  TRUSTED_PROXIES: '127.0.0.1',
};

beforeAll(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([startServer({ ...ENV, REDIS_URL: redis.url }), startServer({ ...ENV, REDIS_URL: redis.url })]);
});

afterAll(async () => {
  clients.forEach((client) => client.close());
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

/** A mutation that needs no Redis itself: over HTTP it answers BAD_USER_INPUT, unless rate limited. */
function mutate(server: TestServer, token: string) {
  return execute(server.graphqlUrl, 'mutation { renewToken(token: "x") { subject } }', {}, token);
}

async function connect(server: TestServer, token: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, token);
  clients.push(client);
  return client;
}

/** Opens a socket and sends `connection_init`: resolves with the ack, or the close code. */
async function attempt(server: TestServer, token: string): Promise<'ack' | number> {
  const client = await ProtocolClient.open(server.wsUrl, { authorization: `Bearer ${token}` });
  clients.push(client);
  const message = await client.waitForUnlessClosed((m) => m.type === 'connection_ack');
  if (message) return 'ack';
  return (await client.waitForClose()).code;
}

/** The HTTP status of a WebSocket upgrade from client address `ip`. */
function upgradeStatus(server: TestServer, ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers: { 'x-forwarded-for': ip } });
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', (error) => (error.message.includes('Unexpected server response') ? undefined : reject(error)));
  });
}

describe('instances on one Redis', () => {
  it.each([
    ['a trader', 'trader'],
    ['a publisher', 'publisher'],
  ] as const)("hold %s to one mutation budget: the second mutation, on the other instance, is RATE_LIMITED", async (_who, role) => {
    const token = await tokenFor(`budget-${role}`, [role]);
    const first = await mutate(a, token);
    expect(first.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // Alone, b would let it through: it never saw this user.
    const second = await mutate(b, token);
    expect(second.status).toBe(429);
    const error = second.errors?.[0] as { message: string; extensions: { code: string; retryAfterMs: number } };
    expect(error.extensions.code).toBe('RATE_LIMITED');
    expect(error.extensions.retryAfterMs).toBeGreaterThan(0);
    expect(error.extensions.retryAfterMs).toBeLessThanOrEqual(2000);
    expect((await mutate(a, token)).status).toBe(429);
  });

  it('hold a user to MAX_CONNECTIONS_PER_USER across instances, and free a slot when a socket closes', async () => {
    const token = await tokenFor('two-sockets', ['trader']);
    const onA = await connect(a, token);
    await connect(b, token);
    expect(await attempt(a, token)).toBe(CloseCode.TooManyRequests);
    expect(await attempt(b, token)).toBe(CloseCode.TooManyRequests);
    onA.close();
    await expect.poll(() => attempt(b, token), { timeout: 3000, interval: 50 }).toBe('ack');
    expect(await attempt(a, token)).toBe(CloseCode.TooManyRequests);
  });

  it('count connection attempts per client address across instances', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) statuses.push(await upgradeStatus(i % 2 === 0 ? a : b, '203.0.113.50'));
    expect(statuses).toEqual(Array(30).fill(101));
    // Each instance has seen 15: alone, either would take 15 more.
    expect(await upgradeStatus(a, '203.0.113.50')).toBe(429);
    expect(await upgradeStatus(b, '203.0.113.50')).toBe(429);
    expect(await upgradeStatus(b, '203.0.113.51')).toBe(101);
  });

  it("stop counting a killed instance's connections after CONNECTION_LEASE_MS", async () => {
    let c: ServerProcess | null = await startProcess('main.ts', { ...ENV, REDIS_URL: redis.url });
    try {
      const token = await tokenFor('killed-instance', ['trader']);
      await connect(c, token);
      await connect(c, token);
      expect(await attempt(a, token)).toBe(CloseCode.TooManyRequests);
      await c.kill();
      c = null;
      const killedAt = Date.now();
      // Every attempt counts against the address's connects per minute: not too many.
      await expect.poll(() => attempt(a, token), { timeout: 5000, interval: 300 }).toBe('ack');
      // Not at once: its sockets had no close to release them; their lease ran out.
      expect(Date.now() - killedAt).toBeGreaterThan(300);
    } finally {
      await c?.stop();
    }
  });
});

// Last: it freezes the file's Redis.
describe('while Redis is frozen (SIGSTOP)', () => {
  it('each instance enforces the limits alone, within the command timeout, and nothing crashes', async () => {
    const trader = await tokenFor('frozen', ['trader']);
    const crowd = await tokenFor('frozen-crowd', ['trader']);
    redis.signal('SIGSTOP');
    try {
      const started = Date.now();
      expect((await mutate(a, trader)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const limited = await mutate(a, trader);
      expect(limited.status).toBe(429);
      expect(limited.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      // b counts alone too: the same user gets b's own budget (fail to local).
      expect((await mutate(b, trader)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((await mutate(b, trader)).status).toBe(429);
      // Bounded by REDIS_COMMAND_TIMEOUT_MS (300) per decision at most, never stuck.
      expect(Date.now() - started).toBeLessThan(3000);

      expect(await attempt(a, crowd)).toBe('ack');
      expect(await attempt(a, crowd)).toBe('ack');
      expect(await attempt(a, crowd)).toBe(CloseCode.TooManyRequests);
      expect(await attempt(b, crowd)).toBe('ack');
    } finally {
      redis.signal('SIGCONT');
    }
    // Back: counted across instances again. The renewals put a's two sockets and b's one into Redis,
    // so b, which holds one alone, refuses a second.
    const ready = async () => (await Promise.all([a, b].map((server) => fetch(`${server.url}/readyz`).then((r) => r.status, () => 0)))).every((status) => status === 200);
    await expect.poll(ready, { timeout: 15_000, interval: 100 }).toBe(true);
    await expect.poll(() => redis.client.zcard('titan:limit:connections:frozen-crowd'), { timeout: 3000 }).toBe(3);
    expect(await attempt(b, crowd)).toBe(CloseCode.TooManyRequests);
  });
});
