import { CloseCode } from '../../src/transport/close-codes.js';
import { connect } from 'node:net';
import { buildSchema, getIntrospectionQuery, GraphQLError, parse, specifiedRules, validate } from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkNesting, maxNesting, queryLimitRules } from '../../src/schema/query-limits.js';
import { MAX_ERROR_MESSAGE_LENGTH, maskError } from '../../src/transport/error-masking.js';
import { ProtocolClient, execute, type NextPayload, type ProtocolMessage } from '../support/protocol-client.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';

/**
 * What a prober finds at the edges of a running server: every probe gets a typed answer (a GraphQL
 * error with `extensions.code`, a 4406 close, a 413), and the server, the socket and that socket's
 * other operations go on. Servers run as processes, as in production: some failures (a client's
 * EPIPE) only show when client and server do not share an event loop.
 */

type ErrorLike = { message: string; extensions?: Record<string, unknown> };

let server: ServerProcess;
let trader: string;
let publisher: string;
const sockets: { close(): void }[] = [];

beforeAll(async () => {
  server = await startProcess('main.ts', {
    // Room for documents 20,000 levels deep: within the token budget and the frame size, so the
    // nesting bound is what refuses them.
    MAX_QUERY_TOKENS: '100000',
    WS_MAX_PAYLOAD_BYTES: String(2 ** 20),
  });
  [trader, publisher] = await Promise.all([tokenFor('prober', ['trader']), tokenFor('feed', ['publisher'])]);
});

afterAll(async () => {
  sockets.forEach((socket) => socket.close());
  await server?.stop();
});

async function connected(token: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(server.wsUrl, token);
  sockets.push(client);
  return client;
}

let published = 0;
function publishPrice(symbol: string): Promise<unknown> {
  published += 1;
  return execute(server.graphqlUrl, `mutation { publishPrice(input: { symbol: "${symbol}", price: ${published} }) { price } }`, {}, publisher);
}

/** The errors an operation's first answer on a WebSocket carries (an `error` message or a `next` with errors). */
async function wsErrors(client: ProtocolClient, id: string): Promise<ErrorLike[]> {
  const message: ProtocolMessage = await client.waitFor((m) => m.id === id && m.type !== 'complete');
  if (message.type === 'error') return message.payload as ErrorLike[];
  return (message.payload as NextPayload).errors ?? [];
}

/** The errors of a subscription's first event over SSE (Yoga on HTTP). */
async function sseErrors(query: string, variables: Record<string, unknown>): Promise<ErrorLike[]> {
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${trader}` },
    body: JSON.stringify({ query, variables }),
  });
  const data = (await response.text()).split('\n').find((line) => line.startsWith('data: {'));
  return (JSON.parse(data!.slice('data: '.length)) as NextPayload).errors ?? [];
}

const nested = {
  selections: (levels: number) => `{ ${'a { '.repeat(levels)}b${' }'.repeat(levels)} }`,
  lists: (levels: number) => `{ prices(symbols: ${'['.repeat(levels)}"A"${']'.repeat(levels)}) { price } }`,
  'input objects': (levels: number) => `{ prices(symbols: ${'{ a: '.repeat(levels)}1${' }'.repeat(levels)}) { price } }`,
};
const probes = Object.entries(nested).flatMap(([kind, document]) => [2_000, 20_000].map((levels) => ({ kind, levels, query: document(levels) })));

describe('documents nested thousands deep', () => {
  it('are refused as QUERY_TOO_COMPLEX over HTTP, before the parser recurses', async () => {
    for (const { kind, levels, query } of probes) {
      const { status, errors } = await execute(server.graphqlUrl, query, {}, trader);
      expect(status, `${kind} × ${levels}`).toBeLessThan(500);
      expect(errors?.[0]?.extensions?.code, `${kind} × ${levels}`).toBe('QUERY_TOO_COMPLEX');
      expect(errors?.[0]?.message).toMatch(/nesting exceeds the limit of \d+/);
    }
    expect((await execute(server.graphqlUrl, '{ symbols }', {}, trader)).status).toBe(200);
  });

  it('are refused over WebSocket for their operation only: the socket and its live subscription go on', async () => {
    const client = await connected(trader);
    client.subscribe('live', 'subscription { price(symbols: ["PROBE-DEEP"]) { price } }');
    await client.untilLive('live', () => publishPrice('PROBE-DEEP'));
    for (const [index, { query }] of probes.entries()) client.subscribe(`deep${index}`, query);
    for (const [index, { kind, levels }] of probes.entries()) {
      const errors = await wsErrors(client, `deep${index}`);
      expect(errors[0]?.extensions?.['code'], `${kind} × ${levels}`).toBe('QUERY_TOO_COMPLEX');
    }
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    await publishPrice('PROBE-DEEP');
    const latest = published;
    const tick = (m: ProtocolMessage) => m.id === 'live' && (m.payload as NextPayload<{ price: { price: number } }>).data?.price.price === latest;
    await expect(client.waitFor(tick)).resolves.toBeTruthy();
  });
});

describe('the nesting bound', () => {
  const schema = buildSchema(`
    type Query { a: A }
    type A { a: A, n(input: In): Int }
    input In { nested: In, list: [Int] }
  `);
  /** A document exactly `depth` fields deep, each level inside two type conditions, the deepest field with a nested input value. */
  function deepest(depth: number): string {
    let selection = 'n(input: { nested: { nested: { list: [1] } } })';
    for (let level = depth - 1; level >= 1; level -= 1) selection = `a { ... on A { ... on A { ${selection} } } }`;
    return `{ ${selection} }`;
  }

  it.each([2, 10, 100])('lets through a document the depth rule accepts at MAX_QUERY_DEPTH=%i', (maxDepth) => {
    const document = deepest(maxDepth);
    const rules = [...specifiedRules, ...queryLimitRules({ maxQueryDepth: maxDepth, maxQueryAliases: 30, maxQueryFields: 1_000_000 })];
    expect(validate(schema, parse(document), rules)).toEqual([]);
    expect(() => checkNesting(document, maxNesting(maxDepth), 1_000_000)).not.toThrow();
    expect(() => checkNesting(getIntrospectionQuery(), maxNesting(maxDepth), 1_000_000)).not.toThrow();
  });
});

describe('a client of the legacy graphql-ws subprotocol', () => {
  it('is closed with 4406 and a reason naming graphql-transport-ws, not a bare 1006', async () => {
    const legacy = new WebSocket(server.wsUrl, 'graphql-ws');
    legacy.on('error', () => {});
    sockets.push({ close: () => legacy.terminate() });
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      legacy.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    expect(closed.code).toBe(CloseCode.SubprotocolNotAcceptable);
    expect(closed.reason).toContain('graphql-transport-ws');

    // Offering both, as a client migrating may, gets the protocol served.
    const migrating = new WebSocket(server.wsUrl, ['graphql-ws', 'graphql-transport-ws']);
    sockets.push({ close: () => migrating.terminate() });
    await new Promise((resolve, reject) => {
      migrating.once('open', resolve);
      migrating.once('error', reject);
    });
    expect(migrating.protocol).toBe('graphql-transport-ws');
  });
});

describe('a 5 MB POST to /graphql', () => {
  const body = 'x'.repeat(5_000_000);

  it("answers 413 that Node's fetch can read", async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await fetch(server.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(413);
      expect(((await response.json()) as { errors: ErrorLike[] }).errors[0]?.extensions?.['code']).toBe('PAYLOAD_TOO_LARGE');
    }
  });

  it('answers 413 that a raw socket reads after sending the whole body', async () => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    sockets.push({ close: () => socket.destroy() });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const ended = new Promise<void>((resolve, reject) => {
      socket.once('end', resolve);
      socket.once('error', reject);
    });
    socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    await new Promise<void>((resolve, reject) => socket.write(body, (error) => (error ? reject(error) : resolve())));
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('PAYLOAD_TOO_LARGE');
  });
});

describe('an invalid cursor', () => {
  const literal = 'subscription { price(symbols: ["PROBE-CURSOR"], after: "not-a-cursor") { price } }';
  const variable = 'subscription ($after: Cursor) { price(symbols: ["PROBE-CURSOR"], after: $after) { price } }';

  it('answers BAD_CURSOR as a literal and as a variable, over SSE', async () => {
    expect((await sseErrors(literal, {}))[0]?.extensions?.['code']).toBe('BAD_CURSOR');
    expect((await sseErrors(variable, { after: 'not-a-cursor' }))[0]?.extensions?.['code']).toBe('BAD_CURSOR');
  });

  it('answers BAD_CURSOR as a literal and as a variable, over WebSocket', async () => {
    const client = await connected(trader);
    client.subscribe('literal', literal);
    client.subscribe('variable', variable, { after: 'not-a-cursor' });
    expect((await wsErrors(client, 'literal'))[0]?.extensions?.['code']).toBe('BAD_CURSOR');
    expect((await wsErrors(client, 'variable'))[0]?.extensions?.['code']).toBe('BAD_CURSOR');
  });
});

describe('oversized input in errors', () => {
  const big = 'A'.repeat(10_000);
  const probes: { name: string; query: string; variables?: Record<string, unknown>; token?: () => string; short?: boolean }[] = [
    { name: 'a malformed symbol argument', query: `{ prices(symbols: ["${big}"]) { price } }`, short: true },
    {
      name: 'a malformed published symbol',
      query: `mutation { publishPrice(input: { symbol: "${big}", price: 1 }) { price } }`,
      token: () => publisher,
      short: true,
    },
    { name: 'a variable of the wrong type', query: 'query ($n: Int) { signals(last: $n) { id } }', variables: { n: big } },
    { name: 'a literal of the wrong type', query: `{ signals(last: "${big}") { id } }` },
    { name: 'a string where a name belongs', query: `{ "${big}" }` },
    { name: 'an unknown field', query: `{ ${big} }` },
  ];

  function expectBounded(errors: ErrorLike[] | undefined, probe: (typeof probes)[number]): void {
    expect(errors?.length, probe.name).toBeGreaterThan(0);
    for (const error of errors ?? []) {
      expect(error.extensions?.['code'], probe.name).toEqual(expect.any(String));
      expect(error.message.length, probe.name).toBeLessThanOrEqual(probe.short ? 200 : MAX_ERROR_MESSAGE_LENGTH);
    }
  }

  it('are cut over HTTP: our messages quote a short form, every message is bounded', async () => {
    for (const probe of probes) {
      const { errors } = await execute(server.graphqlUrl, probe.query, probe.variables, probe.token?.() ?? trader);
      expectBounded(errors, probe);
    }
  });

  it('are cut over WebSocket', async () => {
    const clients = { trader: await connected(trader), publisher: await connected(publisher) };
    for (const [index, probe] of probes.entries()) {
      const client = probe.token ? clients.publisher : clients.trader;
      client.subscribe(`big${index}`, probe.query, probe.variables);
      expectBounded(await wsErrors(client, `big${index}`), probe);
    }
  });
});

describe('a server whose Redis is unreachable', () => {
  let cut: ServerProcess;

  beforeAll(async () => {
    // Port 1: nothing listens there, so every Redis command fails at once.
    cut = await startProcess('main.ts', { REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'debug' }, { notReady: true });
  });

  afterAll(async () => {
    await cut?.stop();
  });

  it('answers a query UNAVAILABLE with retryAfterMs, over HTTP and WebSocket, not "Unexpected error"', async () => {
    const query = '{ priceSnapshot(symbols: ["BTC-USD"]) { cursor } }';
    const { errors } = await execute(cut.graphqlUrl, query, {}, trader);
    const client = await ProtocolClient.connect(cut.wsUrl, trader);
    sockets.push(client);
    client.subscribe('q', query);
    for (const error of [errors?.[0] as ErrorLike | undefined, (await wsErrors(client, 'q'))[0]]) {
      expect(error?.extensions?.['code']).toBe('UNAVAILABLE');
      expect(error?.extensions?.['retryAfterMs']).toEqual(expect.any(Number));
      expect(error?.message).toMatch(/retry after \d+ ms$/);
    }
  });

  it("logs what Yoga reports as JSON lines through pino, never as Yoga's coloured text", async () => {
    await execute(cut.graphqlUrl, '{ priceSnapshot(symbols: ["BTC-USD"]) { cursor } }', {}, trader);
    const lines = () => cut.output().split('\n').filter(Boolean);
    const yogaLine = () => lines().find((line) => line.includes('"component":"yoga"') && line.includes('UNAVAILABLE'));
    const deadline = Date.now() + 5000;
    while (!yogaLine() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines().filter((line) => !line.startsWith('{"level":'))).toEqual([]);
    // An outage is expected: Yoga's report of it is a debug line without a stack, not an error.
    expect(JSON.parse(yogaLine() ?? 'null')).toMatchObject({
      level: 20,
      service: 'titan-realtime',
      msg: 'answered UNAVAILABLE',
      reason: expect.stringContaining('unreachable'),
    });
    expect(lines().filter((line) => line.includes('"component":"yoga"') && line.includes('"stack"'))).toEqual([]);
  });
});

describe('an error nobody typed', () => {
  it('is masked as INTERNAL_SERVER_ERROR, its text shown only outside production', () => {
    const internal = new Error('connect ECONNREFUSED 10.0.0.7:6379');
    const masked = maskError(internal, 'Unexpected error.', false);
    expect(masked).toBeInstanceOf(GraphQLError);
    expect(masked.message).toBe('Unexpected error.');
    expect((masked as GraphQLError).extensions['code']).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(masked)).not.toContain('ECONNREFUSED');
    expect(JSON.stringify(maskError(internal, 'Unexpected error.', true))).toContain('ECONNREFUSED');
  });
});
