import { useMemo } from 'react';
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql/index.js';
import type { PriceRowFragment } from '../gql/graphql.js';

/** The fields of one table row; shared by the snapshot and the live ticks. */
export const PriceRow = graphql(`
  fragment PriceRow on PriceTick {
    symbol
    price
    bid
    ask
    volume
    timestamp
    cursor
  }
`);

const PriceBoardSnapshot = graphql(`
  query PriceBoardSnapshot {
    priceSnapshot {
      ticks {
        ...PriceRow
      }
      cursor
    }
  }
`);

const PriceBoardTicks = graphql(`
  subscription PriceBoardTicks($symbols: [String!]!, $after: Cursor) {
    price(symbols: $symbols, after: $after) {
      ...PriceRow
    }
  }
`);

/** `price(symbols:)` accepts 1 to 50 symbols (schema.graphql). */
const MAX_SYMBOLS = 50;

type LatestBySymbol = Readonly<Record<string, PriceRowFragment>>;

const priceFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 6 });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : timeFormat.format(date);
}

/**
 * Latest price per symbol: the `priceSnapshot` first, then the ticks published after its cursor
 * (the server replays what came in between, so nothing is missed or doubled).
 */
export function PriceBoard() {
  const [snapshot] = useQuery({ query: PriceBoardSnapshot });
  const snapshotRows = snapshot.data?.priceSnapshot.ticks;
  const after = snapshot.data?.priceSnapshot.cursor;

  const symbols = useMemo(
    () => [...new Set((snapshotRows ?? []).map((tick) => tick.symbol))].sort().slice(0, MAX_SYMBOLS),
    [snapshotRows],
  );

  const [live] = useSubscription(
    { query: PriceBoardTicks, variables: { symbols, after }, pause: symbols.length === 0 },
    (latest: LatestBySymbol = {}, data): LatestBySymbol => ({ ...latest, [data.price.symbol]: data.price }),
  );

  const rows = useMemo(() => {
    const bySymbol = new Map<string, PriceRowFragment>();
    for (const tick of snapshotRows ?? []) bySymbol.set(tick.symbol, tick);
    for (const tick of Object.values(live.data ?? {})) bySymbol.set(tick.symbol, tick);
    return [...bySymbol.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
  }, [snapshotRows, live.data]);

  if (snapshot.error && !snapshotRows) {
    return <p role="alert">Could not load prices: {snapshot.error.message}</p>;
  }
  if (!snapshotRows) return <p>Loading prices…</p>;

  return (
    <section className="price-board" aria-labelledby="price-board-caption">
      {live.error && <p role="alert">Live updates stopped: {live.error.message}</p>}
      {rows.length === 0 ? (
        <p>No prices yet.</p>
      ) : (
        // Scrolls sideways on narrow screens; focusable so keyboard users can scroll it too.
        <div className="table-scroll" role="region" aria-labelledby="price-board-caption" tabIndex={0}>
          <table>
            <caption id="price-board-caption">Live prices</caption>
            <thead>
              <tr>
                <th scope="col">Symbol</th>
                <th scope="col">Last</th>
                <th scope="col">Bid</th>
                <th scope="col">Ask</th>
                <th scope="col">Time</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((tick) => (
                <tr key={tick.symbol}>
                  <th scope="row">{tick.symbol}</th>
                  <td>{priceFormat.format(tick.price)}</td>
                  <td>{priceFormat.format(tick.bid)}</td>
                  <td>{priceFormat.format(tick.ask)}</td>
                  <td>
                    <time dateTime={tick.timestamp}>{formatTime(tick.timestamp)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
