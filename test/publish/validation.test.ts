import { describe, expect, it } from 'vitest';

import {
  parseIsoDateTime,
  validatePrice,
  validateSignal,
  ValidationError,
  type PriceInput,
  type SignalInput,
} from '../../src/publish/validation.js';

const NOW = new Date('2026-03-04T05:06:07.089Z');
const fixedNow = () => NOW;
const knownStrategy = (id: string) => id === 'ma-crossover' || id === 'rsi-reversion';

/** A valid price input with `overrides`, which may hold values of the wrong type on purpose. */
const priceInput = (overrides: Record<string, unknown> = {}) =>
  ({ symbol: 'BTC-USD', price: 100, ...overrides }) as unknown as PriceInput;

const signalInput = (overrides: Record<string, unknown> = {}) =>
  ({ strategyId: 'ma-crossover', symbol: 'ETH-USD', side: 'BUY', price: 2500, confidence: 0.75, ...overrides }) as unknown as SignalInput;

/** Runs `action` expecting a `ValidationError`; returns it. */
function validationError(action: () => unknown): ValidationError {
  try {
    action();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('validatePrice refusals name the field', () => {
  it.each([
    ['price 0', { price: 0 }, 'price'],
    ['negative price', { price: -5 }, 'price'],
    ['NaN price', { price: Number.NaN }, 'price'],
    ['Infinity price', { price: Number.POSITIVE_INFINITY }, 'price'],
    ['price above 1e12', { price: 1e12 + 1 }, 'price'],
    ['string price', { price: '100' }, 'price'],
    ['missing price', { price: undefined }, 'price'],
    ['empty symbol', { symbol: '' }, 'symbol'],
    ['lower-case symbol', { symbol: 'btc-usd' }, 'symbol'],
    ['symbol with a space', { symbol: 'A B' }, 'symbol'],
    ['symbol of 21 characters', { symbol: 'A'.repeat(21) }, 'symbol'],
    ['symbol starting with a dash', { symbol: '-BTC' }, 'symbol'],
    ['non-string symbol', { symbol: 42 }, 'symbol'],
    ['missing symbol', { symbol: undefined }, 'symbol'],
    ['zero bid', { bid: 0 }, 'bid'],
    ['NaN ask', { ask: Number.NaN }, 'ask'],
    ['bid above ask', { bid: 101, ask: 100.5 }, 'bid'],
    ['bid above the price when ask defaults to it', { bid: 100.01 }, 'bid'],
    ['negative volume', { volume: -1 }, 'volume'],
    ['NaN volume', { volume: Number.NaN }, 'volume'],
    ['string volume', { volume: '10' }, 'volume'],
    ['timestamp "yesterday"', { timestamp: 'yesterday' }, 'timestamp'],
    ['timestamp with month 13', { timestamp: '2026-13-01T00:00:00Z' }, 'timestamp'],
    ['timestamp without a zone', { timestamp: '2026-01-01T00:00:00' }, 'timestamp'],
    ['date-only timestamp', { timestamp: '2026-01-01' }, 'timestamp'],
    ['epoch-number timestamp', { timestamp: 1767225600000 }, 'timestamp'],
  ])('%s', (_, overrides, field) => {
    const error = validationError(() => validatePrice(priceInput(overrides), fixedNow));
    expect(error.name).toBe('ValidationError');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${field}\\b`));
    expect(error.message).toBe(`Invalid event: ${error.problems[0]}`);
  });

  it('quotes the bad value', () => {
    expect(validationError(() => validatePrice(priceInput({ symbol: 'btc-usd' }))).message).toContain('"btc-usd"');
    expect(validationError(() => validatePrice(priceInput({ price: -5 }))).message).toContain('got -5');
    expect(validationError(() => validatePrice(priceInput({ timestamp: 'yesterday' }))).message).toContain('"yesterday"');
    expect(validationError(() => validatePrice(priceInput({ bid: 101, ask: 100.5 }))).problems).toEqual([
      'bid 101 is above ask 100.5',
    ]);
  });

  it('lists every problem of one input', () => {
    const error = validationError(() =>
      validatePrice(priceInput({ symbol: 'btc', price: -1, bid: 5, ask: 4, volume: -2, timestamp: 'soon' }), fixedNow),
    );
    expect(error.problems.map((problem) => problem.split(' ')[0])).toEqual(['symbol', 'price', 'bid', 'volume', 'timestamp']);
    for (const field of ['symbol', 'price', 'bid 5 is above ask 4', 'volume', 'timestamp']) {
      expect(error.message).toContain(field);
    }
  });

  // Date.parse alone would roll impossible days over into the next month.
  it.each([['2026-02-30T00:00:00Z'], ['2026-02-31T00:00:00Z'], ['2026-04-31T12:00:00Z']])(
    'refuses the impossible date-time %s',
    (timestamp) => {
      const error = validationError(() => validatePrice(priceInput({ timestamp })));
      expect(error.problems[0]).toMatch(/^timestamp/);
    },
  );
});

describe('validatePrice accepted', () => {
  it('defaults bid and ask to the price, volume to 0 and timestamp to now', () => {
    expect(validatePrice(priceInput(), fixedNow)).toEqual({
      symbol: 'BTC-USD',
      price: 100,
      bid: 100,
      ask: 100,
      volume: 0,
      timestamp: '2026-03-04T05:06:07.089Z',
    });
  });

  it('treats null optional fields like missing ones', () => {
    const event = validatePrice(priceInput({ bid: null, ask: null, volume: null, timestamp: null }), fixedNow);
    expect(event).toMatchObject({ bid: 100, ask: 100, volume: 0, timestamp: NOW.toISOString() });
  });

  it('uses the real clock when no clock is given', () => {
    const before = Date.now();
    const { timestamp } = validatePrice(priceInput());
    expect(timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(timestamp)).toBeLessThanOrEqual(Date.now());
  });

  it('keeps given bid, ask, volume; bid equal to ask is fine', () => {
    expect(validatePrice(priceInput({ bid: 99.5, ask: 100.5, volume: 3.25 }), fixedNow)).toMatchObject({
      bid: 99.5,
      ask: 100.5,
      volume: 3.25,
    });
    expect(validatePrice(priceInput({ bid: 100, ask: 100 }), fixedNow)).toMatchObject({ bid: 100, ask: 100 });
  });

  it.each([['A'], ['A'.repeat(20)], ['BRK.B'], ['EUR/USD'], ['ES_F'], ['1INCH-USD']])('accepts symbol %s', (symbol) => {
    expect(validatePrice(priceInput({ symbol }), fixedNow).symbol).toBe(symbol);
  });

  it('accepts the price bound 1e12 and volume 0', () => {
    expect(validatePrice(priceInput({ price: 1e12, volume: 0 }), fixedNow)).toMatchObject({ price: 1e12, volume: 0 });
  });

  it.each([
    ['2026-01-01T02:00:00+02:00', '2026-01-01T00:00:00.000Z'],
    ['2025-12-31T19:30:00-05:00', '2026-01-01T00:30:00.000Z'],
    ['2026-01-01T00:00:00.5Z', '2026-01-01T00:00:00.500Z'],
    ['2026-01-01T00:00Z', '2026-01-01T00:00:00.000Z'],
    ['2026-06-15T12:34:56.789Z', '2026-06-15T12:34:56.789Z'],
  ])('normalises timestamp %s to UTC %s', (timestamp, expected) => {
    expect(validatePrice(priceInput({ timestamp }), fixedNow).timestamp).toBe(expected);
  });
});

describe('parseIsoDateTime', () => {
  it('returns the UTC ISO form, or null for anything else', () => {
    expect(parseIsoDateTime('2026-01-01T01:00:00+01:00')).toBe('2026-01-01T00:00:00.000Z');
    for (const bad of [undefined, null, 0, '', 'now', '2026-01-01', '2026-01-01T00:00:00', '2026-01-01 00:00:00Z']) {
      expect(parseIsoDateTime(bad)).toBeNull();
    }
  });

  it('takes the canonical UTC form as it is, and still refuses impossible instants in that form', () => {
    expect(parseIsoDateTime('2026-03-01T09:30:00.125Z')).toBe('2026-03-01T09:30:00.125Z');
    expect(parseIsoDateTime('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z');
    for (const bad of ['2026-02-29T00:00:00.000Z', '2026-02-30T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01T23:60:00.000Z', '2026-13-01T00:00:00.000Z']) {
      expect(parseIsoDateTime(bad)).toBeNull();
    }
  });
});

describe('validateSignal refusals name the field', () => {
  it.each([
    ['unknown strategy', { strategyId: 'moon-shot' }, 'strategyId'],
    ['non-string strategy', { strategyId: 7 }, 'strategyId'],
    ['confidence -0.1', { confidence: -0.1 }, 'confidence'],
    ['confidence 1.1', { confidence: 1.1 }, 'confidence'],
    ['confidence NaN', { confidence: Number.NaN }, 'confidence'],
    ['string confidence', { confidence: '0.5' }, 'confidence'],
    ['side HOLD', { side: 'HOLD' }, 'side'],
    ['lower-case side', { side: 'buy' }, 'side'],
    ['reason of 501 characters', { reason: 'x'.repeat(501) }, 'reason'],
    ['non-string reason', { reason: 42 }, 'reason'],
    ['malformed symbol', { symbol: 'eth' }, 'symbol'],
    ['price 0', { price: 0 }, 'price'],
  ])('%s', (_, overrides, field) => {
    const error = validationError(() => validateSignal(signalInput(overrides), knownStrategy));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${field}\\b`));
  });

  it('lists every problem of one input', () => {
    const error = validationError(() =>
      validateSignal(
        signalInput({ strategyId: 'nope', symbol: '', side: 'HOLD', price: Number.NaN, confidence: 2, reason: 'r'.repeat(600) }),
        knownStrategy,
      ),
    );
    expect(error.problems.map((problem) => problem.split(' ')[0])).toEqual([
      'strategyId',
      'symbol',
      'side',
      'price',
      'confidence',
      'reason',
    ]);
  });
});

describe('validateSignal accepted', () => {
  it('keeps the fields and defaults reason to null', () => {
    expect(validateSignal(signalInput(), knownStrategy)).toEqual({
      strategyId: 'ma-crossover',
      symbol: 'ETH-USD',
      side: 'BUY',
      price: 2500,
      confidence: 0.75,
      reason: null,
    });
  });

  it('keeps a reason of up to 500 characters and the confidence bounds 0 and 1', () => {
    const reason = 'y'.repeat(500);
    expect(validateSignal(signalInput({ side: 'SELL', confidence: 0, reason }), knownStrategy)).toMatchObject({
      side: 'SELL',
      confidence: 0,
      reason,
    });
    expect(validateSignal(signalInput({ confidence: 1, reason: null }), knownStrategy)).toMatchObject({
      confidence: 1,
      reason: null,
    });
  });

  it('asks knownStrategy about the given id', () => {
    const asked: string[] = [];
    validateSignal(signalInput({ strategyId: 'rsi-reversion' }), (id) => {
      asked.push(id);
      return true;
    });
    expect(asked).toEqual(['rsi-reversion']);
  });
});
