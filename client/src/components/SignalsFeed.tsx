import { memo, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import type { SignalRowFragment, SignalsLiveSubscription } from '../gql/graphql.js';
import { useFrameBatchedSubscription } from '../live/use-frame-batched-subscription.js';
import { errorMessage, isCursorExpired } from './errors.js';
import { formatPrice, formatTime, formatWholePercent } from './format.js';
import { addSignal, seedFeed, SIGNALS_CAP, type FeedState } from './signals-state.js';
import { useChoices } from './use-choices.js';
import { useRestartOnCursorExpired } from './use-restart-on-expiry.js';

export const SignalRow = graphql(`
  fragment SignalRow on Signal {
    id
    strategyId
    symbol
    side
    price
    confidence
    reason
    timestamp
    cursor
  }
`);

const SignalsSnapshot = graphql(`
  query SignalsSnapshot($strategyId: ID, $symbol: String, $last: Int) {
    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {
      signals {
        ...SignalRow
      }
      cursor
    }
  }
`);

// `cursor` is selected on the root field itself (besides the fragment): the data layer resumes from it.
const SignalsLive = graphql(`
  subscription SignalsLive($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {
    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {
      cursor
      ...SignalRow
    }
  }
`);

/**
 * The signals feed with its two filters. The filters are labelled "Source" and "Instrument" (not
 * "Strategy"/"Symbol"): those names belong to the backtest form, and label look-ups match substrings.
 */
export function SignalsFeed() {
  const headingId = useId();
  const sourceId = useId();
  const instrumentId = useId();
  const [strategyId, setStrategyId] = useState('');
  const [symbol, setSymbol] = useState('');
  const choices = useChoices();

  return (
    <section className="panel signals" aria-labelledby={headingId}>
      <h2 id={headingId}>Signals</h2>
      <fieldset className="filters">
        <legend>Filter signals</legend>
        <div className="field">
          <label htmlFor={sourceId}>Source</label>
          <select id={sourceId} value={strategyId} onChange={(event) => setStrategyId(event.target.value)}>
            <option value="">All strategies</option>
            {choices.strategies.map((strategy) => (
              <option key={strategy.id} value={strategy.id}>
                {strategy.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={instrumentId}>Instrument</label>
          <select id={instrumentId} value={symbol} onChange={(event) => setSymbol(event.target.value)}>
            <option value="">All symbols</option>
            {choices.symbols.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      </fieldset>
      {/* A new filter mounts a new list: a fresh snapshot, then a subscription after its cursor. */}
      <SignalList
        key={`${strategyId}\n${symbol}`}
        strategyId={strategyId || null}
        symbol={symbol || null}
        strategyName={choices.strategyName}
      />
    </section>
  );
}

interface SignalListProps {
  strategyId: string | null;
  symbol: string | null;
  strategyName(id: string): string;
}

/** `signalSnapshot` then `signal(after: snapshot.cursor)` with the same filters, newest first, capped. */
function SignalList({ strategyId, symbol, strategyName }: SignalListProps) {
  const captionId = useId();
  const [snapshotResult, refetchSnapshot] = useQuery({
    query: SignalsSnapshot,
    variables: { strategyId, symbol, last: SIGNALS_CAP },
    requestPolicy: 'network-only',
  });
  const snapshot = snapshotResult.data?.signalSnapshot;

  // The feed as last shown: a new subscription (or one whose state an error cleared) goes on from it.
  const shown = useRef<FeedState | undefined>(undefined);
  const reducer = useCallback(
    (previous: FeedState | undefined, data: SignalsLiveSubscription): FeedState => {
      const base = previous ?? shown.current;
      return addSignal(snapshot ? seedFeed(base, snapshot) : (base ?? { seed: '', signals: [] }), data.signal);
    },
    [snapshot],
  );
  const [live] = useFrameBatchedSubscription(
    {
      query: SignalsLive,
      variables: {
        strategyIds: strategyId ? [strategyId] : null,
        symbols: symbol ? [symbol] : null,
        after: snapshot?.cursor,
      },
      pause: !snapshot,
    },
    reducer,
  );

  const restart = useCallback(() => refetchSnapshot({ requestPolicy: 'network-only' }), [refetchSnapshot]);
  useRestartOnCursorExpired(live.error, restart);

  const feed = useMemo(
    () => (snapshot ? seedFeed(live.data ?? shown.current, snapshot) : undefined),
    // `shown` only matters when `live.data` is missing, i.e. right after a (re)start.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [snapshot, live.data],
  );
  useEffect(() => {
    if (feed) shown.current = feed;
  }, [feed]);
  const signals = feed?.signals ?? [];

  if (snapshotResult.error && !snapshot) {
    return (
      <div role="alert">
        <p>Could not load signals: {errorMessage(snapshotResult.error)}</p>
        <button type="button" onClick={restart}>
          Try again
        </button>
      </div>
    );
  }
  if (!snapshot) return <p className="muted">Loading signals…</p>;

  return (
    <>
      {live.error && !isCursorExpired(live.error) && (
        <div role="alert" className="inline-alert">
          <p>Live signals stopped: {errorMessage(live.error)}</p>
          <button type="button" onClick={restart}>
            Reload signals
          </button>
        </div>
      )}
      {signals.length === 0 ? (
        <p className="muted">No signals yet{strategyId || symbol ? ' for this filter' : ''}.</p>
      ) : (
        <div className="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
          <table className="signals-table card-table">
            <caption id={captionId}>Recent signals, newest first (up to {SIGNALS_CAP})</caption>
            <thead>
              <tr>
                <th scope="col" className="text">Time</th>
                <th scope="col" className="text">Strategy</th>
                <th scope="col" className="text">Symbol</th>
                <th scope="col" className="text">Side</th>
                <th scope="col">Confidence</th>
                <th scope="col">Price</th>
                <th scope="col" className="text">Reason</th>
              </tr>
            </thead>
            <tbody>
              {signals.map((signal) => (
                <SignalTableRow key={signal.id} signal={signal} strategyName={strategyName(signal.strategyId)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** One signal; re-renders only when its own data (or its strategy's name) changed. */
const SignalTableRow = memo(function SignalTableRow({ signal, strategyName }: { signal: SignalRowFragment; strategyName: string }) {
  const confidence = Math.min(1, Math.max(0, signal.confidence));
  return (
    <tr data-testid="signal-row">
      <td className="text time" data-label="Time">
        <time dateTime={signal.timestamp}>{formatTime(signal.timestamp)}</time>
      </td>
      <td className="text strategy" data-label="Strategy">
        {strategyName}
      </td>
      <td className="text symbol" data-label="Symbol">
        {signal.symbol}
      </td>
      <td className="text side" data-label="Side">
        <span className={`side-badge ${signal.side === 'BUY' ? 'buy' : 'sell'}`}>{signal.side}</span>
      </td>
      <td className="confidence-cell" data-label="Confidence">
        <span className="confidence">
          <span className="confidence-bar" aria-hidden="true">
            <span style={{ width: `${confidence * 100}%` }} />
          </span>
          {formatWholePercent(confidence)}
        </span>
      </td>
      <td className="price" data-label="Price">
        {formatPrice(signal.price)}
      </td>
      <td className="text reason" data-label="Reason">
        {signal.reason ?? '—'}
      </td>
    </tr>
  );
});
