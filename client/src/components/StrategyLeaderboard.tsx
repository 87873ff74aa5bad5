import { memo, useCallback, useId, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import type { StrategyStatsLiveSubscription, StrategyStatsRowFragment } from '../gql/graphql.js';
import { useFrameBatchedSubscription } from '../live/use-frame-batched-subscription.js';
import { errorMessage, isFeatureDisabled } from './errors.js';
import { formatDateTime, formatInteger, formatPnl, formatPrice, formatWholePercent } from './format.js';
import { applyStats, rankStrategies, seedLeaderboard, type LeaderboardState } from './leaderboard-state.js';
import { useChoices } from './use-choices.js';

/** One strategy's figures; shared by the query and the live updates. */
export const StrategyStatsRow = graphql(`
  fragment StrategyStatsRow on StrategyStats {
    strategyId
    signals
    buys
    sells
    since
    positions {
      symbol
      side
      quantity
      entryPrice
      markPrice
      unrealisedPnl
    }
    realisedPnl
    unrealisedPnl
    totalPnl
    roundTrips
    winningRoundTrips
    hitRate
    cursor
  }
`);

// No `strategyIds`: the server answers every strategy the token is entitled to, and only those.
const StrategyStatsSnapshot = graphql(`
  query StrategyStatsSnapshot {
    strategyStats {
      ...StrategyStatsRow
    }
  }
`);

// Not resumable (no `after`): every update is a strategy's whole state, and a (re)subscription
// starts with each strategy's current figures.
const StrategyStatsLive = graphql(`
  subscription StrategyStatsLive {
    strategyStats {
      ...StrategyStatsRow
    }
  }
`);

/**
 * The strategies ranked by total P&L of following their signals (one unit per position, marked to
 * the latest prices), with hit rate and open positions. Becomes one card per strategy on narrow
 * screens (styles.css, "Strategy leaderboard").
 */
export function StrategyLeaderboard() {
  const headingId = useId();
  // "Reload" after a failure mounts a new board: a fresh query, then a new subscription.
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return (
    <section className="panel leaderboard" aria-labelledby={headingId}>
      <h2 id={headingId}>Leaderboard</h2>
      <LeaderboardBody key={generation} reload={reload} />
    </section>
  );
}

/** `strategyStats` query, then the subscription once the answer is in (so no update is older than it). */
function LeaderboardBody({ reload }: { reload(): void }) {
  const captionId = useId();
  const { strategyName } = useChoices();
  const [snapshotResult] = useQuery({ query: StrategyStatsSnapshot, requestPolicy: 'network-only' });
  const snapshot = snapshotResult.data?.strategyStats;

  const reducer = useCallback(
    (previous: LeaderboardState | undefined, data: StrategyStatsLiveSubscription): LeaderboardState =>
      applyStats(previous ?? seedLeaderboard(snapshot ?? []), data.strategyStats),
    [snapshot],
  );
  const [live] = useFrameBatchedSubscription({ query: StrategyStatsLive, pause: !snapshot }, reducer);
  const ranked = useMemo(
    () => (live.data ? rankStrategies(live.data) : snapshot ? rankStrategies(seedLeaderboard(snapshot)) : undefined),
    [live.data, snapshot],
  );

  const error = snapshotResult.error ?? live.error;
  if (isFeatureDisabled(error)) return <p className="muted">Strategy figures are switched off on this server (analytics disabled).</p>;
  if (snapshotResult.error && !snapshot) {
    return (
      <div role="alert">
        <p>Could not load the strategies’ figures: {errorMessage(snapshotResult.error)}</p>
        <button type="button" onClick={reload}>
          Try again
        </button>
      </div>
    );
  }
  if (!ranked) return <p className="muted">Loading figures…</p>;

  return (
    <>
      {live.error && (
        <div role="alert" className="inline-alert">
          <p>Live figures stopped: {errorMessage(live.error)}</p>
          <button type="button" onClick={reload}>
            Reload figures
          </button>
        </div>
      )}
      {ranked.length === 0 ? (
        <p className="muted">No strategies to show for this token.</p>
      ) : (
        <div className="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
          <table className="leaderboard-table">
            <caption id={captionId}>
              Ranked by total P&amp;L
              <span className="caption-note"> · one unit per signal, at signal prices, marked to the latest price</span>
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col" className="text">Strategy</th>
                <th scope="col">Total P&amp;L</th>
                <th scope="col">Realised</th>
                <th scope="col">Unrealised</th>
                <th scope="col">Hit rate</th>
                <th scope="col">Signals</th>
                <th scope="col" className="text">Open positions</th>
              </tr>
            </thead>
            <tbody>
              {ranked.map((stats, index) => (
                <LeaderboardRow key={stats.strategyId} rank={index + 1} stats={stats} name={strategyName(stats.strategyId)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const trend = (value: number) => (value > 0 ? 'up' : value < 0 ? 'down' : 'flat');

/** A P&L figure with its sign; the colour repeats what the sign says. */
function Pnl({ value }: { value: number }) {
  return <span className={`pnl ${trend(value)}`}>{formatPnl(value)}</span>;
}

interface LeaderboardRowProps {
  rank: number;
  stats: StrategyStatsRowFragment;
  name: string;
}

/** One strategy; `data-label` names each cell in the card layout of narrow screens. */
const LeaderboardRow = memo(function LeaderboardRow({ rank, stats, name }: LeaderboardRowProps) {
  return (
    <tr data-testid="leaderboard-row" data-strategy={stats.strategyId}>
      <td className="rank" data-label="Rank">
        {rank}
      </td>
      <th scope="row" className="text" data-label="Strategy">
        {name}
      </th>
      <td className="total" data-label="Total P&L">
        <Pnl value={stats.totalPnl} />
      </td>
      <td data-label="Realised">
        <Pnl value={stats.realisedPnl} />
      </td>
      <td data-label="Unrealised">
        <Pnl value={stats.unrealisedPnl} />
      </td>
      <td data-label="Hit rate">
        {stats.hitRate === null ? (
          <span className="muted">—</span>
        ) : (
          <>
            {formatWholePercent(stats.hitRate)}{' '}
            <span className="cell-note">
              ({formatInteger(stats.winningRoundTrips)} of {formatInteger(stats.roundTrips)})
            </span>
          </>
        )}
      </td>
      <td data-label="Signals">
        {formatInteger(stats.signals)}{' '}
        <span className="cell-note">
          ({formatInteger(stats.buys)} buy · {formatInteger(stats.sells)} sell
          {stats.since && (
            <>
              , since <time dateTime={stats.since}>{formatDateTime(stats.since)}</time>
            </>
          )}
          )
        </span>
      </td>
      <td className="text" data-label="Open positions">
        {stats.positions.length === 0 ? (
          <span className="muted">None</span>
        ) : (
          <ul className="positions">
            {stats.positions.map((position) => (
              <li key={position.symbol}>
                {position.symbol} {position.side === 'BUY' ? 'long' : 'short'} @ {formatPrice(position.entryPrice)}{' '}
                <Pnl value={position.unrealisedPnl} />
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
});
