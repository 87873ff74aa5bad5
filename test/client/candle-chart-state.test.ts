import { describe, expect, it } from 'vitest';
import { applyCandle, CHART_BARS, seedChart, type ChartState } from '../../client/src/components/candle-chart-state.js';
import type { CandleBarFragment } from '../../client/src/gql/graphql.js';

/** A one-minute bar starting `minute` minutes after 16:00 UTC. */
function bar(minute: number, overrides: Partial<CandleBarFragment> = {}): CandleBarFragment {
  const openTime = new Date(Date.UTC(2026, 10, 26, 16, minute)).toISOString();
  return { openTime, open: 100, high: 105, low: 95, close: 102, volume: 3, ticks: 3, closed: true, cursor: `c-${minute}-${overrides.ticks ?? 3}`, ...overrides };
}

const minutes = (state: ChartState) => state.bars.map((shown) => new Date(shown.openTime).getUTCMinutes());

describe('candle chart state', () => {
  const snapshot = { candles: [bar(0), bar(1), bar(2, { closed: false, ticks: 1, close: 101 })], cursor: 'snap-1' };

  it('starts from the history, oldest first', () => {
    const state = seedChart(undefined, snapshot);
    expect(minutes(state)).toEqual([0, 1, 2]);
    expect(state.seed).toBe('snap-1');
    expect(seedChart(state, snapshot)).toBe(state); // the same snapshot again changes nothing
  });

  it('updates the open bar in place, then takes its close once and appends the next bar', () => {
    let state = seedChart(undefined, snapshot);
    state = applyCandle(state, bar(2, { closed: false, ticks: 2, high: 108, close: 107 }));
    expect(minutes(state)).toEqual([0, 1, 2]);
    expect(state.bars[2]).toMatchObject({ ticks: 2, high: 108, close: 107, closed: false });

    const closing = bar(2, { closed: true, ticks: 4, close: 104 });
    state = applyCandle(state, closing);
    expect(state.bars[2]).toBe(closing);
    state = applyCandle(state, bar(3, { closed: false, ticks: 1 }));
    expect(minutes(state)).toEqual([0, 1, 2, 3]);

    // The close delivered again (a resume that replays it) and a stale open state of that bar change nothing.
    expect(applyCandle(state, bar(2, { closed: true, ticks: 4, close: 999 }))).toBe(state);
    expect(applyCandle(state, bar(2, { closed: false, ticks: 3 }))).toBe(state);
  });

  it('drops an open update older than the one shown (fewer ticks)', () => {
    const state = applyCandle(seedChart(undefined, snapshot), bar(2, { closed: false, ticks: 5, close: 110 }));
    expect(applyCandle(state, bar(2, { closed: false, ticks: 4, close: 103 }))).toBe(state);
    expect(applyCandle(state, bar(2, { closed: false, ticks: 5, close: 111 })).bars[2]?.close).toBe(111);
  });

  it('puts a bar missing in between in its place', () => {
    const state = applyCandle(seedChart(undefined, { candles: [bar(0), bar(2)], cursor: 's' }), bar(1));
    expect(minutes(state)).toEqual([0, 1, 2]);
  });

  it(`keeps the newest ${CHART_BARS} bars`, () => {
    let state = seedChart(undefined, { candles: Array.from({ length: CHART_BARS + 5 }, (_, i) => bar(i)), cursor: 's' });
    expect(state.bars).toHaveLength(CHART_BARS);
    expect(minutes(state)[0]).toBe(5 % 60);
    state = applyCandle(state, bar(CHART_BARS + 5, { closed: false, ticks: 1 }));
    expect(state.bars).toHaveLength(CHART_BARS);
    expect(state.bars.at(-1)?.openTime).toBe(bar(CHART_BARS + 5).openTime);
    // Older than every bar kept: it would scroll off at once.
    expect(applyCandle(state, bar(0, { ticks: 9 }))).toBe(state);
  });

  it('restarts from a fresh history (after CURSOR_EXPIRED): older bars stay, the fresh ones win', () => {
    const before = applyCandle(seedChart(undefined, snapshot), bar(2, { closed: false, ticks: 2, close: 103 }));
    const fresh = { candles: [bar(2, { ticks: 6, close: 99 }), bar(3), bar(4, { closed: false, ticks: 1 })], cursor: 'snap-2' };
    const after = seedChart(before, fresh);
    expect(minutes(after)).toEqual([0, 1, 2, 3, 4]);
    expect(after.bars[2]).toMatchObject({ ticks: 6, close: 99, closed: true });
    expect(after.seed).toBe('snap-2');
  });
});
