import { describe, expect, it } from 'vitest';
import { applyStats, rankStrategies, seedLeaderboard } from '../../client/src/components/leaderboard-state.js';
import type { StrategyStatsRowFragment } from '../../client/src/gql/graphql.js';

function stats(strategyId: string, totalPnl: number, overrides: Partial<StrategyStatsRowFragment> = {}): StrategyStatsRowFragment {
  return {
    strategyId,
    signals: 2,
    buys: 1,
    sells: 1,
    since: '2026-11-26T16:00:00.000Z',
    positions: [],
    realisedPnl: totalPnl,
    unrealisedPnl: 0,
    totalPnl,
    roundTrips: 1,
    winningRoundTrips: totalPnl > 0 ? 1 : 0,
    hitRate: totalPnl > 0 ? 1 : 0,
    cursor: `c-${strategyId}`,
    ...overrides,
  };
}

const order = (state: ReturnType<typeof seedLeaderboard>) => rankStrategies(state).map((entry) => entry.strategyId);

describe('leaderboard state', () => {
  it('ranks by total P&L, best first', () => {
    expect(order(seedLeaderboard([stats('a', -5), stats('b', 12), stats('c', 3)]))).toEqual(['b', 'c', 'a']);
  });

  it('breaks a tie on total P&L by hit rate (none counts lowest), then by id', () => {
    const state = seedLeaderboard([
      stats('z', 0, { hitRate: null, roundTrips: 0 }),
      stats('y', 0, { hitRate: 0.5 }),
      stats('x', 0, { hitRate: null, roundTrips: 0 }),
    ]);
    expect(order(state)).toEqual(['y', 'x', 'z']);
  });

  it('replaces a strategy with its newest figures and re-ranks; adds one first seen live', () => {
    let state = seedLeaderboard([stats('a', 10), stats('b', 5)]);
    state = applyStats(state, stats('b', 20, { signals: 3 }));
    expect(order(state)).toEqual(['b', 'a']);
    expect(state.byStrategy.b?.signals).toBe(3);
    state = applyStats(state, stats('c', 7));
    expect(order(state)).toEqual(['b', 'a', 'c']);
  });
});
