import { memo, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import type { PriceBoardTicksSubscription } from '../gql/graphql.js';
import { dashboardPriceMaxRate } from '../live/price-rate.js';
import { useFrameBatchedSubscription } from '../live/use-frame-batched-subscription.js';
import { errorMessage, isCursorExpired } from './errors.js';
import { formatPrice, formatSignedPercent, formatSignedPrice, formatTime } from './format.js';
import { applyTick, boardRows, seedBoard, type BoardRow, type BoardState } from './price-board-state.js';
import { Sparkline } from './Sparkline.js';
import { useRestartOnCursorExpired } from './use-restart-on-expiry.js';

/** The fields of one row; shared by the snapshot and the live ticks. */
export const PriceRow = graphql(`
  fragment PriceRow on PriceTick {
    symbol
    price
    bid
    ask
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

// `cursor` is selected on the root field itself (besides the fragment): the data layer resumes from it.
const PriceBoardTicks = graphql(`
  subscription PriceBoardTicks($symbols: [String!]!, $after: Cursor, $maxRate: Float) {
    price(symbols: $symbols, after: $after, maxRate: $maxRate) {
      cursor
      ...PriceRow
    }
  }
`);

/** `price(symbols:)` accepts 1 to 50 symbols (schema.graphql). */
export const MAX_LIVE_SYMBOLS = 50;

/**
 * Every symbol's last price, bid/ask, change since the session's first price and a sparkline: the
 * `priceSnapshot` first, then the ticks published after its cursor (the server replays what came in
 * between, so nothing is missed or doubled; a tick seen twice is dropped anyway). Re-renders at most
 * once per animation frame.
 */
export function PriceBoard() {
  const headingId = useId();
  const captionId = useId();
  const [snapshotResult, refetchSnapshot] = useQuery({ query: PriceBoardSnapshot, requestPolicy: 'network-only' });
  // One a second per symbol on a phone or with Save-Data (live/price-rate.ts), chosen once.
  const [maxRate] = useState(dashboardPriceMaxRate);
  const snapshot = snapshotResult.data?.priceSnapshot;

  const symbols = useMemo(
    () => [...new Set((snapshot?.ticks ?? []).map((tick) => tick.symbol))].sort().slice(0, MAX_LIVE_SYMBOLS),
    [snapshot],
  );
  const hiddenCount = (snapshot?.ticks.length ?? 0) - symbols.length;

  // The board as last shown: a new subscription (or one whose state an error cleared) goes on from it,
  // so the session's opens and sparklines survive a restart from a fresh snapshot.
  const shown = useRef<BoardState | undefined>(undefined);
  const reducer = useCallback(
    (previous: BoardState | undefined, data: PriceBoardTicksSubscription): BoardState => {
      const base = previous ?? shown.current;
      return applyTick(snapshot ? seedBoard(base, snapshot) : (base ?? { seed: '', rows: {} }), data.price);
    },
    [snapshot],
  );
  const [live] = useFrameBatchedSubscription(
    { query: PriceBoardTicks, variables: { symbols, after: snapshot?.cursor, maxRate }, pause: !snapshot || symbols.length === 0 },
    reducer,
  );

  const restart = useCallback(() => refetchSnapshot({ requestPolicy: 'network-only' }), [refetchSnapshot]);
  useRestartOnCursorExpired(live.error, restart);

  const board = useMemo(
    () => (snapshot ? seedBoard(live.data ?? shown.current, snapshot) : undefined),
    // `shown` only matters when `live.data` is missing, i.e. right after a (re)start.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [snapshot, live.data],
  );
  useEffect(() => {
    if (board) shown.current = board;
  }, [board]);
  const rows = useMemo(() => (board ? boardRows(board) : []), [board]);

  return (
    <section className="panel price-board" aria-labelledby={headingId}>
      <h2 id={headingId}>Live prices</h2>
      {snapshotResult.error && !snapshot ? (
        <div role="alert">
          <p>Could not load prices: {errorMessage(snapshotResult.error)}</p>
          <button type="button" onClick={restart}>
            Try again
          </button>
        </div>
      ) : !snapshot ? (
        <p className="muted">Loading prices…</p>
      ) : rows.length === 0 ? (
        <p className="muted">No prices yet.</p>
      ) : (
        <>
          {live.error && !isCursorExpired(live.error) && (
            <div role="alert" className="inline-alert">
              <p>Live prices stopped: {errorMessage(live.error)}</p>
              <button type="button" onClick={restart}>
                Reload prices
              </button>
            </div>
          )}
          {hiddenCount > 0 && (
            <p className="muted">
              Live updates follow the first {MAX_LIVE_SYMBOLS} of {MAX_LIVE_SYMBOLS + hiddenCount} symbols; the others
              show their snapshot price.
            </p>
          )}
          {/* A phone shows each row as a card (phone-layout.css); focusable so keyboard users can scroll a wide table. */}
          <div className="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
            <table className="prices card-table">
              <caption id={captionId}>
                Live prices
                <span className="caption-note"> · change since this session’s first price</span>
              </caption>
              <thead>
                <tr>
                  <th scope="col">Symbol</th>
                  <th scope="col">Last</th>
                  <th scope="col">Bid</th>
                  <th scope="col">Ask</th>
                  <th scope="col" title="Change since the first price this board saw for the symbol">
                    Chg (session)
                  </th>
                  <th scope="col">Trend</th>
                  <th scope="col">Time</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <PriceBoardRow key={row.tick.symbol} row={row} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

const ARROWS = { up: '▲', down: '▼', flat: '' } as const;

/** One symbol; re-renders only when its own row changed. */
const PriceBoardRow = memo(function PriceBoardRow({ row }: { row: BoardRow }) {
  const { tick, open, history, direction } = row;
  const change = tick.price - open;
  const changeFraction = open === 0 ? 0 : change / open;
  const trend = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
  return (
    <tr>
      <th scope="row">{tick.symbol}</th>
      {/* Keyed by cursor: every new tick restarts the flash animation. */}
      <td key={tick.cursor} className={direction ? `last flash-${direction}` : 'last'} data-direction={direction ?? undefined} data-label="Last">
        {direction && direction !== 'flat' && (
          <span className={`tick-arrow ${direction}`} aria-hidden="true">
            {ARROWS[direction]}{' '}
          </span>
        )}
        {formatPrice(tick.price)}
      </td>
      <td className="bid" data-label="Bid">
        {formatPrice(tick.bid)}
      </td>
      <td className="ask" data-label="Ask">
        {formatPrice(tick.ask)}
      </td>
      <td className={`change ${trend}`} data-label="Chg (session)">
        {formatSignedPrice(change, tick.price)} <span className="change-percent">({formatSignedPercent(changeFraction)})</span>
      </td>
      <td className={`trend ${trend}`} data-label="Trend">
        <Sparkline
          values={history}
          label={`${tick.symbol}, last ${history.length} prices, from ${formatPrice(history[0] ?? open)} to ${formatPrice(tick.price)}`}
        />
      </td>
      <td className="time" data-label="Time">
        <time dateTime={tick.timestamp}>{formatTime(tick.timestamp)}</time>
      </td>
    </tr>
  );
});
