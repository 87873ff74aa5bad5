import type { PriceRowFragment } from '../gql/graphql.js';

/** How many recent prices a row keeps for its sparkline. */
export const SPARKLINE_LENGTH = 60;

export type Direction = 'up' | 'down' | 'flat';

/** One symbol as the board shows it. */
export interface BoardRow {
  readonly tick: PriceRowFragment;
  /** The first price this board saw for the symbol in this session ("session open"). */
  readonly open: number;
  /** The last {@link SPARKLINE_LENGTH} prices, oldest first. */
  readonly history: readonly number[];
  /** The cursors of the ticks in `history`, to drop a tick delivered twice. */
  readonly cursors: readonly string[];
  /** Against the previous tick; null until a live tick arrived. */
  readonly direction: Direction | null;
}

/** The board: rows by symbol, and the snapshot (by cursor) it was started from. */
export interface BoardState {
  readonly seed: string;
  readonly rows: Readonly<Record<string, BoardRow>>;
}

export interface PriceSnapshotData {
  readonly ticks: readonly PriceRowFragment[];
  readonly cursor: string;
}

function keepLast<T>(items: readonly T[], item: T): T[] {
  const next = [...items, item];
  return next.length > SPARKLINE_LENGTH ? next.slice(next.length - SPARKLINE_LENGTH) : next;
}

function applyToRow(row: BoardRow | undefined, tick: PriceRowFragment, live: boolean): BoardRow {
  if (!row) return { tick, open: tick.price, history: [tick.price], cursors: [tick.cursor], direction: null };
  if (row.cursors.includes(tick.cursor)) return row; // already applied: a duplicate delivery
  const previous = row.tick.price;
  return {
    tick,
    open: row.open,
    history: keepLast(row.history, tick.price),
    cursors: keepLast(row.cursors, tick.cursor),
    direction: live ? (tick.price > previous ? 'up' : tick.price < previous ? 'down' : 'flat') : row.direction,
  };
}

/**
 * Starts the board from `snapshot`, or restarts it from a fresh one (after `CURSOR_EXPIRED`): rows
 * already on the board keep their session open and history.
 */
export function seedBoard(previous: BoardState | undefined, snapshot: PriceSnapshotData): BoardState {
  if (previous?.seed === snapshot.cursor) return previous;
  const rows: Record<string, BoardRow> = { ...previous?.rows };
  for (const tick of snapshot.ticks) rows[tick.symbol] = applyToRow(rows[tick.symbol], tick, false);
  return { seed: snapshot.cursor, rows };
}

/** Applies one live tick (published after the snapshot's cursor). */
export function applyTick(state: BoardState, tick: PriceRowFragment): BoardState {
  const row = state.rows[tick.symbol];
  const next = applyToRow(row, tick, true);
  return next === row ? state : { seed: state.seed, rows: { ...state.rows, [tick.symbol]: next } };
}

/** Rows sorted by symbol. */
export function boardRows(state: BoardState): BoardRow[] {
  return Object.values(state.rows).sort((a, b) => a.tick.symbol.localeCompare(b.tick.symbol));
}
