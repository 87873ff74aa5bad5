import { useCallback, useId, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import type { BacktestCardFragment } from '../gql/graphql.js';
import { BacktestForm } from './BacktestForm.js';
import { BacktestItem } from './BacktestItem.js';
import { errorMessage } from './errors.js';
import { useChoices } from './use-choices.js';

const BacktestList = graphql(`
  query BacktestList {
    backtests {
      ...BacktestCard
    }
  }
`);

/**
 * The listed backtests plus the ones started here that the list does not have yet, newest first. The
 * listed version of a backtest wins: it is refetched after our mutations.
 */
export function mergeBacktests(
  started: readonly BacktestCardFragment[],
  listed: readonly BacktestCardFragment[],
): BacktestCardFragment[] {
  const byId = new Map<string, BacktestCardFragment>();
  for (const backtest of listed) byId.set(backtest.id, backtest);
  for (const backtest of started) if (!byId.has(backtest.id)) byId.set(backtest.id, backtest);
  // Stable sort: equal creation times keep the order above.
  return [...byId.values()].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** The backtest form and the caller's backtests. */
export function Backtests() {
  const headingId = useId();
  const listHeadingId = useId();
  const choices = useChoices();
  const [list, refetchList] = useQuery({ query: BacktestList, requestPolicy: 'cache-and-network' });
  const [started, setStarted] = useState<readonly BacktestCardFragment[]>([]);
  const backtests = useMemo(() => mergeBacktests(started, list.data?.backtests ?? []), [started, list.data]);
  const handleStarted = useCallback((backtest: BacktestCardFragment) => setStarted((previous) => [backtest, ...previous]), []);

  return (
    <section className="panel backtests" aria-labelledby={headingId}>
      <h2 id={headingId}>Backtests</h2>
      <BacktestForm choices={choices} onStarted={handleStarted} />
      <h3 id={listHeadingId}>Your backtests</h3>
      {list.error && !list.data && (
        <div role="alert">
          <p>Could not load your backtests: {errorMessage(list.error)}</p>
          <button type="button" onClick={() => refetchList({ requestPolicy: 'network-only' })}>
            Try again
          </button>
        </div>
      )}
      {backtests.length === 0 ? (
        !list.error && <p className="muted">{list.fetching && !list.data ? 'Loading backtests…' : 'No backtests yet.'}</p>
      ) : (
        <ol className="backtest-list" aria-labelledby={listHeadingId}>
          {backtests.map((backtest) => (
            <BacktestItem key={backtest.id} backtest={backtest} strategyName={choices.strategyName(backtest.strategyId)} />
          ))}
        </ol>
      )}
    </section>
  );
}
