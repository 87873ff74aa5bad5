import { execute, parse, type ExecutionArgs } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/bus/event-bus.js';
import { buildSchema } from '../../src/schema/schema.js';
import type { SubscriptionField } from '../../src/schema/subscription-plan.js';
import { buildsDirectly, eventExecutor } from '../../src/transport/fanout/event-executor.js';

/**
 * The shared fan-out's executor builds plain selections itself: its results must be graphql-js' own,
 * for every document, whether it takes the fast path or not.
 */

const schema = buildSchema();
const position = { epoch: 'e1', offset: 42 };
const tick: Envelope<'price'> = {
  topic: 'price',
  key: 'AAPL',
  position,
  payload: { symbol: 'AAPL', price: 101.5, bid: 101.4, ask: 101.6, volume: 3, timestamp: '2026-12-01T07:00:00.000Z' },
};
const signal: Envelope<'signal'> = {
  topic: 'signal',
  key: 'ma-crossover',
  position,
  payload: { id: 's1', strategyId: 'ma-crossover', symbol: 'AAPL', side: 'SELL', price: 100, confidence: 0.5, reason: null, timestamp: '2026-12-01T07:00:00.000Z' },
};

function both(source: string, envelope: Envelope<SubscriptionField>, variables: Record<string, unknown> = {}) {
  const args: ExecutionArgs = { schema, document: parse(source), variableValues: variables, contextValue: {} };
  return { fast: eventExecutor(args, envelope.topic as SubscriptionField)(envelope), graphql: execute({ ...args, rootValue: envelope }) };
}

describe('the fan-out event executor', () => {
  it.each([
    ['plain fields', 'subscription ($s: [String!]!) { price(symbols: $s) { symbol price bid ask volume timestamp cursor id } }', tick, { s: ['AAPL'] }],
    ['aliases and __typename', 'subscription { quote: price(symbols: ["AAPL"]) { __typename last: price s: symbol } }', tick],
    ['an enum and a null', 'subscription { signal { id side reason confidence strategyId timestamp cursor } }', signal],
    ['a fragment (graphql-js path)', 'subscription { price(symbols: ["AAPL"]) { ...T } } fragment T on PriceTick { symbol price }', tick],
    ['a directive (graphql-js path)', 'subscription ($x: Boolean!) { price(symbols: ["AAPL"]) { symbol price @include(if: $x) } }', tick, { x: false }],
    ['a field twice (graphql-js path)', 'subscription { price(symbols: ["AAPL"]) { symbol symbol } }', tick],
  ] as const)('gives graphql-js’ result for %s', async (_name, source, envelope, variables?: Record<string, unknown>) => {
    const { fast, graphql } = both(source, envelope, variables);
    expect(await fast).toEqual(await graphql);
  });

  it('builds plain selections directly and leaves the rest to graphql-js', () => {
    const direct = (source: string, field: SubscriptionField) => buildsDirectly({ schema, document: parse(source), variableValues: {}, contextValue: {} }, field);
    expect(direct('subscription ($s: [String!]!) { price(symbols: $s) { symbol price cursor } }', 'price')).toBe(true);
    expect(direct('subscription { quote: price(symbols: ["A"]) { __typename last: price } }', 'price')).toBe(true);
    expect(direct('subscription { signal { id side reason } }', 'signal')).toBe(true);
    expect(direct('subscription { price(symbols: ["A"]) { ...T } } fragment T on PriceTick { symbol }', 'price')).toBe(false);
    expect(direct('subscription { backtestProgress(id: "b") { status result { trades } } }', 'backtestProgress')).toBe(false);
  });

  it('leaves an event whose value is an error to graphql-js (a non-null field missing, a value its scalar refuses)', async () => {
    const missing = { ...tick, payload: { ...tick.payload, symbol: undefined as unknown as string } };
    const notANumber = { ...tick, payload: { ...tick.payload, price: Number.NaN } };
    for (const envelope of [missing, notANumber]) {
      const { fast, graphql } = both('subscription { price(symbols: ["AAPL"]) { symbol price } }', envelope);
      const result = await fast;
      expect(result.errors?.length).toBe(1);
      expect(JSON.stringify(result)).toBe(JSON.stringify(await graphql));
    }
  });
});
