import type { StrategyStatsRowFragment } from '../gql/graphql.js';

/**
 * The strategies' latest figures by id. Every `strategyStats` event is the strategy's whole state
 * (schema.graphql), so the newest one simply replaces what was shown.
 */
export interface LeaderboardState {
  readonly byStrategy: Readonly<Record<string, StrategyStatsRowFragment>>;
}

/** The leaderboard as the `strategyStats` query answered it. */
export function seedLeaderboard(stats: readonly StrategyStatsRowFragment[]): LeaderboardState {
  return { byStrategy: Object.fromEntries(stats.map((entry) => [entry.strategyId, entry])) };
}

/** Applies one live update (received after the query's answer, so never older than it). */
export function applyStats(state: LeaderboardState, stats: StrategyStatsRowFragment): LeaderboardState {
  return { byStrategy: { ...state.byStrategy, [stats.strategyId]: stats } };
}

/** Best first: by total P&L, then by hit rate (none counts lowest), then by id so the order is stable. */
export function rankStrategies(state: LeaderboardState): StrategyStatsRowFragment[] {
  return Object.values(state.byStrategy).sort(
    (a, b) =>
      b.totalPnl - a.totalPnl || (b.hitRate ?? -1) - (a.hitRate ?? -1) || a.strategyId.localeCompare(b.strategyId),
  );
}
