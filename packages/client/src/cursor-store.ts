/**
 * Where a stream keeps its last cursor, so that a consumer that restarts goes on where it stopped.
 * A cursor is stored once the consumer has handled its event (the iterator asked for the next one,
 * or the callback returned), so a crash replays at most the event being handled, never skips one.
 */
export interface CursorStore {
  get(key: string): string | null | Promise<string | null>;
  set(key: string, cursor: string): void | Promise<void>;
}

/** Cursors in memory: resume across reconnects within one process (the default). */
export function memoryCursorStore(): CursorStore {
  const cursors = new Map<string, string>();
  return {
    get: (key) => cursors.get(key) ?? null,
    set(key, cursor) {
      cursors.set(key, cursor);
    },
  };
}
