import type { SignalRowFragment } from '../gql/graphql.js';

/** The feed keeps the newest this many signals. */
export const SIGNALS_CAP = 200;

/** Signals newest first, and the snapshot (by cursor) they were started from. */
export interface FeedState {
  readonly seed: string;
  readonly signals: readonly SignalRowFragment[];
}

export interface SignalSnapshotData {
  /** Newest first. */
  readonly signals: readonly SignalRowFragment[];
  readonly cursor: string;
}

function capped(signals: readonly SignalRowFragment[]): readonly SignalRowFragment[] {
  return signals.length > SIGNALS_CAP ? signals.slice(0, SIGNALS_CAP) : signals;
}

/**
 * Starts the feed from `snapshot`, or restarts it from a fresh one (after `CURSOR_EXPIRED`): signals
 * already shown stay, the snapshot's are added without duplicates, newest first.
 */
export function seedFeed(previous: FeedState | undefined, snapshot: SignalSnapshotData): FeedState {
  if (previous?.seed === snapshot.cursor) return previous;
  if (!previous) return { seed: snapshot.cursor, signals: capped(snapshot.signals) };
  const byId = new Map<string, SignalRowFragment>();
  for (const signal of [...snapshot.signals, ...previous.signals]) if (!byId.has(signal.id)) byId.set(signal.id, signal);
  const merged = [...byId.values()].sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp));
  return { seed: snapshot.cursor, signals: capped(merged) };
}

/** Adds a live signal on top (live signals arrive in publish order); one already shown is dropped. */
export function addSignal(state: FeedState, signal: SignalRowFragment): FeedState {
  if (state.signals.some((shown) => shown.id === signal.id)) return state;
  return { seed: state.seed, signals: capped([signal, ...state.signals]) };
}
