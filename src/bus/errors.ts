/**
 * How a stream of events can fail for a reader, each with the `extensions.code` a client receives
 * (see `schema/stream-errors.ts`): the typed failures of the bus, in one place.
 */

/** The events after a position cannot all be produced: trimmed, reset (Redis lost its data), or rewritten. */
export class CursorExpiredError extends Error {
  readonly code = 'CURSOR_EXPIRED';
  constructor(reason: string) {
    super(`${reason}; refetch a snapshot and subscribe after its cursor`);
    this.name = 'CursorExpiredError';
  }
}

/** A reader fell more than its capacity behind on a topic that is never conflated. */
export class SlowConsumerError extends Error {
  readonly code = 'SLOW_CONSUMER';
  constructor(why: string) {
    super(`${why}; reconnect and resume after the last cursor received`);
    this.name = 'SlowConsumerError';
  }
}

/** A position this bus never gave: ahead of the stream. */
export class PositionAheadError extends Error {
  readonly code = 'BAD_CURSOR';
  constructor() {
    super('Cursor is ahead of the stream: it was not issued by this API');
    this.name = 'PositionAheadError';
  }
}
