import { expect } from 'vitest';
import type { NextPayload, ProtocolClient, ProtocolMessage } from '../support/protocol-client.js';
import { SseSubscription } from '../support/sse-client.js';
import { Cell, expectAnswerOrUnavailable, poll, sleep, type Fault } from './harness.js';

/**
 * The phases of the API's work a Redis fault can hit. Each says what it has in flight before the
 * fault (`before`), what it does while Redis is in trouble (`during`: every answer typed and prompt)
 * and what must hold once Redis is back (`after`). `Cell` runs them in that order; see harness.ts.
 */
export interface Phase<S = unknown> {
  name: string;
  /** Server settings of this phase (a slower backtest pace, say). */
  env?: Record<string, string>;
  /** The phase starts the server itself, while Redis is in trouble. */
  startsDuringFault?: boolean;
  before?(cell: Cell): Promise<S>;
  during?(cell: Cell, state: S): Promise<void>;
  after?(cell: Cell, state: S): Promise<void>;
}

const SIGNALS = 'subscription ($symbols: [String!], $after: Cursor) { signal(symbols: $symbols, after: $after) { id cursor } }';
const PRICES = 'subscription ($symbols: [String!]!) { price(symbols: $symbols) { price cursor } }';
const PROGRESS = 'subscription ($id: ID!) { backtestProgress(id: $id) { status processedBars cursor } }';
const START = 'mutation ($input: StartBacktestInput!) { startBacktest(input: $input) { id status } }';
const BACKTEST = 'query ($id: ID!) { backtest(id: $id) { status } }';

type SignalData = { signal: { id: string; cursor: string } };
type ProgressData = { backtestProgress: { status: string; processedBars: number } };

/** A subscription that must carry on: resolves once a first event proves it is live. */
async function liveSignals(cell: Cell, client: ProtocolClient, id: string, symbol: string): Promise<void> {
  client.subscribe(id, SIGNALS, { symbols: [symbol] });
  let n = 0;
  await client.untilLive(id, () => cell.publishSignal(symbol, `${id}-probe-${(n += 1)}`));
  await sleep(100);
  client.drain(id);
}

/** Every `next` or `error` of `id` until `done` holds for what came so far, then the ids received and how it ended. */
async function follow(
  client: ProtocolClient,
  id: string,
  done: (ids: string[], ended: ProtocolMessage | null) => boolean,
  timeoutMs = 15_000,
): Promise<{ ids: string[]; ended: ProtocolMessage | null }> {
  const ids: string[] = [];
  let ended: ProtocolMessage | null = null;
  const deadline = Date.now() + timeoutMs;
  while (!done(ids, ended)) {
    const message = await client.waitFor((m) => m.id === id && ['next', 'error', 'complete'].includes(m.type), Math.max(1, deadline - Date.now()))
      .catch(() => {
        throw new Error(`waited for subscription ${id}; got ${JSON.stringify(ids)}, ended: ${JSON.stringify(ended)}`);
      });
    if (message.type !== 'next') {
      ended = message;
      continue;
    }
    const payload = message.payload as NextPayload<SignalData>;
    if (payload.errors) ended = message;
    else if (payload.data) ids.push(payload.data.signal.id);
  }
  return { ids, ended };
}

/** The code of the error a subscription ended with. */
function endCode(ended: ProtocolMessage | null): string | undefined {
  if (!ended) return undefined;
  const payload = ended.payload as { extensions?: { code?: string } }[] | NextPayload;
  const errors = Array.isArray(payload) ? payload : payload.errors;
  return errors?.[0]?.extensions?.code;
}

/** A subscription's first answer: live (`next` after a publish) or the error it was refused with. */
async function firstAnswer(client: ProtocolClient, id: string, timeoutMs: number): Promise<ProtocolMessage | null> {
  return client.waitFor((m) => m.id === id && (m.type === 'error' || m.type === 'next' || m.type === 'complete'), timeoutMs).catch(() => null);
}

/** A subscription that could not start: graphql-ws answers `next` with the errors (then `complete`), or `error`. */
function expectSubscriptionRefusedWithUnavailable(message: ProtocolMessage | null): void {
  expect(['error', 'next'], JSON.stringify(message)).toContain(message?.type);
  expect(endCode(message), JSON.stringify(message)).toBe('UNAVAILABLE');
}

async function startBacktest(cell: Cell, bars: number) {
  return cell.query<{ startBacktest: { id: string; status: string } }>(START, { input: { strategyId: 'ma-crossover', symbol: 'BTC-USD', bars } });
}

async function backtestStatus(cell: Cell, id: string): Promise<string | undefined> {
  const result = await cell.query<{ backtest: { status: string } | null }>(BACKTEST, { id });
  return result.data?.backtest?.status;
}

/**
 * After a fault, a live subscription either carried on with no gap and no duplicate, or (when Redis
 * lost its data) ended with CURSOR_EXPIRED, the typed, resumable error.
 */
function expectContinuedOrExpired(
  fault: Fault,
  outcome: { ids: string[]; ended: ProtocolMessage | null },
  expected: string[],
  ordered = true,
): void {
  if (fault.keepsData) {
    expect(outcome.ended, JSON.stringify(outcome)).toBeNull();
    // Concurrent publishes, some retried, are stored (and delivered) in the order they landed.
    expect(ordered ? outcome.ids : [...outcome.ids].sort()).toEqual(expected);
  } else {
    expect(endCode(outcome.ended), JSON.stringify(outcome)).toBe('CURSOR_EXPIRED');
    expect(new Set(outcome.ids).size).toBe(outcome.ids.length);
  }
}

export const PHASES: Phase<any>[] = [
  {
    name: 'idle',
    async during(cell) {
      expect((await fetch(`${cell.server.url}/healthz`)).status).toBe(200);
    },
    async after(cell) {
      const client = await cell.ws();
      await liveSignals(cell, client, 'idle', 'IDLE');
    },
  },

  {
    name: 'subscribe and unsubscribe in flight',
    async before(cell) {
      return { client: await cell.ws() };
    },
    async during(cell, { client }: { client: ProtocolClient }) {
      client.subscribe('p', PRICES, { symbols: ['NEWSYM'] });
      client.subscribe('s', SIGNALS, { symbols: ['NEWSYM'] });
      client.send({ id: 'p', type: 'complete' });
      const answer = await firstAnswer(client, 's', 3000);
      if (cell.fault.down) expectSubscriptionRefusedWithUnavailable(answer);
      client.send({ id: 's', type: 'complete' });
      await sleep(200);
      expect(client.socket.readyState).toBe(client.socket.OPEN);
    },
    async after(cell, { client }: { client: ProtocolClient }) {
      await poll(async () => ('stats' in cell.server ? cell.server.stats().bus.channels : 0), (channels) => channels <= 1, 'released bus channels');
      await liveSignals(cell, client, 'again', 'NEWSYM');
    },
  },

  {
    name: 'resume and replay in flight',
    async before(cell) {
      const cursors: string[] = [];
      for (let n = 1; n <= 5; n += 1) {
        const { data } = await cell.publishSignal('RESUME', `r${n}`);
        cursors.push(data!.publishSignal.cursor);
      }
      return { cursor: cursors[1] };
    },
    async during(cell, { cursor }: { cursor: string }) {
      const client = await cell.ws();
      client.subscribe('r', SIGNALS, { symbols: ['RESUME'], after: cursor });
      const answer = await firstAnswer(client, 'r', 3000);
      if (cell.fault.down) expectSubscriptionRefusedWithUnavailable(answer);
      // Just after a restart, Redis may still be reconnecting: either answer is typed.
      else if (!cell.fault.keepsData) expect(['CURSOR_EXPIRED', 'UNAVAILABLE']).toContain(endCode(answer));
      client.close();
    },
    async after(cell, { cursor }: { cursor: string }) {
      const client = await cell.ws();
      client.subscribe('r', SIGNALS, { symbols: ['RESUME'], after: cursor });
      if (!cell.fault.keepsData) {
        expect(endCode(await firstAnswer(client, 'r', 5000))).toBe('CURSOR_EXPIRED');
        return;
      }
      const replayed = await follow(client, 'r', (ids) => ids.length >= 3);
      expect(replayed.ids).toEqual(['r3', 'r4', 'r5']);
      await cell.publishSignalUntilStored('RESUME', 'r6');
      expect((await follow(client, 'r', (ids) => ids.length >= 1)).ids).toEqual(['r6']);
    },
  },

  {
    name: 'snapshot queries',
    async before(cell) {
      await cell.publishPrice('SNAP', 10);
    },
    async during(cell) {
      const queries = [
        '{ priceSnapshot(symbols: ["SNAP"]) { cursor ticks { price } } }',
        '{ signalSnapshot { cursor signals { id } } }',
        '{ symbols }',
        '{ backtests { id } }',
        '{ backtest(id: "nope") { id } }',
      ];
      const started = Date.now();
      const answers = await Promise.all(queries.map((query) => cell.query(query)));
      for (const answer of answers) expectAnswerOrUnavailable(answer, cell.fault.down);
      // At most one command timeout, not a queue of them.
      expect(Date.now() - started).toBeLessThan(2500);
    },
    async after(cell) {
      const result = await poll(
        () => cell.query<{ priceSnapshot: { ticks: { price: number }[] } }>('{ priceSnapshot(symbols: ["SNAP"]) { ticks { price } } }'),
        (answer) => answer.errors === undefined,
        'priceSnapshot to answer',
      );
      expect(result.data?.priceSnapshot.ticks.map((tick) => tick.price)).toEqual(cell.fault.keepsData ? [10] : []);
    },
  },

  {
    name: 'publish mutations',
    async before(cell) {
      const client = await cell.ws();
      await liveSignals(cell, client, 'live', 'PUB');
      return { client };
    },
    async during(cell) {
      const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => cell.publishSignal('PUB', `p${n}`)));
      for (const answer of answers) expectAnswerOrUnavailable(answer, cell.fault.down);
    },
    async after(cell, { client }: { client: ProtocolClient }) {
      // The publisher's rule: retry anything that failed, with the same id. Whatever the first
      // attempt did (refused, or stored but unanswered), each signal is delivered once.
      for (let n = 1; n <= 6; n += 1) await cell.publishSignalUntilStored('PUB', `p${n}`);
      const outcome = await follow(client, 'live', (ids, ended) => ended !== null || ids.includes('p6'));
      await sleep(200);
      const late = await follow(client, 'live', () => true);
      outcome.ids.push(...late.ids);
      expectContinuedOrExpired(cell.fault, outcome, ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'], false);
      expect(outcome.ids.at(-1) ?? 'p6').toBe('p6');
    },
  },

  {
    name: 'the ingest stream consumer',
    async before(cell) {
      const client = await cell.ws();
      await liveSignals(cell, client, 'ingest', 'INGEST');
      const redis = cell.redis.client();
      for (const n of [1, 2]) {
        await redis.xadd('titan:ingest', '*', 'type', 'signal', 'data', ingestSignal(`i${n}`));
      }
      const first = await follow(client, 'ingest', (ids) => ids.length >= 2);
      expect(first.ids).toEqual(['i1', 'i2']);
      return { client };
    },
    async during() {
      await sleep(500);
    },
    async after(cell, { client }: { client: ProtocolClient }) {
      const redis = cell.redis.client();
      for (const n of [3, 4, 5]) {
        await poll(
          () => redis.xadd('titan:ingest', '*', 'type', 'signal', 'data', ingestSignal(`i${n}`)),
          (id) => typeof id === 'string',
          'XADD to the ingest stream',
        );
      }
      const outcome = await follow(client, 'ingest', (ids, ended) => ended !== null || ids.includes('i5'));
      expectContinuedOrExpired(cell.fault, outcome, ['i3', 'i4', 'i5']);
      if (!cell.fault.keepsData) {
        // The consumer group was lost with the data: it is made again and entries flow to new subscribers.
        const again = await cell.ws();
        await liveSignals(cell, again, 'again', 'INGEST');
        await redis.xadd('titan:ingest', '*', 'type', 'signal', 'data', ingestSignal('i6'));
        expect((await follow(again, 'again', (ids) => ids.length >= 1)).ids).toEqual(['i6']);
      }
    },
  },

  {
    name: 'a backtest starting',
    async during(cell) {
      const answer = await startBacktest(cell, 1000);
      expectAnswerOrUnavailable(answer, cell.fault.down);
    },
    async after(cell) {
      const { data } = await poll(() => startBacktest(cell, 1000), (answer) => answer.errors === undefined, 'startBacktest');
      const id = data!.startBacktest.id;
      await poll(() => backtestStatus(cell, id), (status) => status === 'COMPLETED', 'the backtest to complete');
      // A start refused while Redis was away left no run behind; one accepted then ran to the end.
      await poll(
        () => cell.query<{ backtests: { status: string }[] }>('{ backtests { status } }'),
        ({ data: mine }) => mine !== undefined && mine.backtests.every((run) => run.status === 'COMPLETED'),
        'every backtest to be COMPLETED',
      );
    },
  },

  backtestPhase('a backtest running', { pace: 2000, bars: 6000 }),
  // The run ends (after ~300 ms) while Redis is in trouble: its final state must still land.
  backtestPhase('a backtest finishing', { pace: 1000, bars: 300 }),

  {
    name: 'SSE streams',
    async before(cell) {
      const stream = await SseSubscription.open(cell.server.graphqlUrl, cell.trader, PRICES, { symbols: ['SSE'] });
      cell.onCleanup(() => stream.close());
      let price = 0;
      await poll(async () => {
        await cell.publishPrice('SSE', (price += 1));
        return stream.text;
      }, (text) => text.includes('"price"'), 'the SSE stream to go live');
      return { stream, from: price };
    },
    async after(cell, { stream, from }: { stream: SseSubscription; from: number }) {
      const next = [from + 101, from + 102];
      for (const price of next) await poll(() => cell.publishPrice('SSE', price), (answer) => answer.errors === undefined, 'publishPrice');
      if (cell.fault.keepsData) {
        await poll(async () => stream.text, (text) => text.includes(`"price":${next[1]}`), 'the SSE stream to carry on');
        expect(stream.text.indexOf(`"price":${next[0]}`)).toBeLessThan(stream.text.indexOf(`"price":${next[1]}`));
        expect(stream.text).not.toContain('"errors"');
      } else {
        await poll(async () => stream.text, (text) => text.includes('CURSOR_EXPIRED'), 'the SSE stream to end with CURSOR_EXPIRED');
      }
    },
  },

  {
    name: 'sockets closing',
    async before(cell) {
      const clients = await Promise.all([1, 2, 3, 4, 5].map(() => cell.ws()));
      for (const [index, client] of clients.entries()) {
        client.subscribe('p', PRICES, { symbols: [`CLOSE${index}`] });
        await liveSignals(cell, client, 's', `CLOSE${index}`);
      }
      return { clients };
    },
    async during(_cell, { clients }: { clients: ProtocolClient[] }) {
      for (const client of clients) client.close();
      await sleep(500);
    },
    async after(cell) {
      await poll(async () => ('stats' in cell.server ? cell.server.stats().bus.channels : 0), (channels) => channels <= 1, 'released bus channels');
      const client = await cell.ws();
      await liveSignals(cell, client, 'after', 'CLOSE0');
    },
  },

  {
    name: 'server start',
    startsDuringFault: true,
    async during(cell) {
      const started = Date.now();
      const server = await cell.startProcess();
      expect(Date.now() - started).toBeLessThan(15_000);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      // A failover may be over by the time a process has started: then there is nothing to see.
      if (cell.fault.down && !cell.fault.recoversByItself) {
        expect(await cell.readyz()).toBe(503);
        expectAnswerOrUnavailable(await cell.publishSignal('START', 'x0'), true);
      }
    },
    async after(cell) {
      const client = await cell.ws();
      await liveSignals(cell, client, 'start', 'START');
      // The outage in the log: JSON lines only, no stack trace, one line per connection when it
      // started (or could not connect) and one when it ended, whatever happened in between.
      const lines = (cell.server as { output(): string }).output().split('\n').filter(Boolean);
      expect(lines.filter((line) => !line.startsWith('{"level":'))).toEqual([]);
      expect(lines.filter((line) => line.includes('"stack"'))).toEqual([]);
      const outages = lines.filter((line) => /"msg":"redis (unreachable|connection lost)"/.test(line));
      const roles = outages.map((line) => (JSON.parse(line) as { redis: string }).redis);
      if (cell.fault.down) expect(new Set(roles).size).toBe(roles.length);
    },
  },
];

/** A backtest followed by a subscriber from before the fault, at `pace` bars a second, checked after recovery. */
function backtestPhase(name: string, { pace, bars }: { pace: number; bars: number }): Phase<{ id: string; client: ProtocolClient }> {
  return {
    name,
    env: { BACKTEST_BARS_PER_SECOND: String(pace) },
    async before(cell) {
      const { data } = await startBacktest(cell, bars);
      const id = data!.startBacktest.id;
      const client = await cell.ws();
      client.subscribe('b', PROGRESS, { id });
      await client.waitFor((m) => m.id === 'b' && m.type === 'next');
      return { id, client };
    },
    async during() {
      await sleep(800);
    },
    after: (cell, { id, client }) => expectBacktestEnd(cell, client, id),
  };
}

function ingestSignal(id: string): string {
  return JSON.stringify({ id, strategyId: 'ma-crossover', symbol: 'INGEST', side: 'SELL', price: 2, confidence: 0.7, reason: id });
}

/** A backtest ends with COMPLETED for its subscriber (or CURSOR_EXPIRED if Redis lost it) and in the store. */
async function expectBacktestEnd(cell: Cell, client: ProtocolClient, id: string): Promise<void> {
  const seen: ProgressData['backtestProgress'][] = [];
  let ended: ProtocolMessage | null = null;
  while (!ended) {
    const message = await client.waitFor((m) => m.id === 'b', 20_000);
    const payload = message.payload as NextPayload<ProgressData>;
    if (message.type === 'next' && payload.data) seen.push(payload.data.backtestProgress);
    else ended = message;
  }
  const processed = seen.map((event) => event.processedBars);
  expect(processed).toEqual([...processed].sort((a, b) => a - b));
  if (cell.fault.keepsData) {
    expect(ended.type, JSON.stringify(ended)).toBe('complete');
    expect(seen.at(-1)?.status).toBe('COMPLETED');
  } else if (ended.type !== 'complete') {
    expect(endCode(ended)).toBe('CURSOR_EXPIRED');
  }
  await poll(() => backtestStatus(cell, id), (status) => status === 'COMPLETED', 'the stored backtest to be COMPLETED');
}
