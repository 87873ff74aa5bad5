import { badUserInput, rateLimited } from '../auth/errors.js';
import { encodeCursor } from '../bus/cursor.js';
import type { Topic } from '../bus/event-bus.js';
import type { PublishesInFlight } from '../limits/publishes-in-flight.js';
import type { PublishResult } from '../publish/market-publisher.js';
import type { PublishBatchResult, PublishItemResult } from './__generated__/resolvers-types.js';

/**
 * The publish mutations as the schema answers them: the size bound, the instance's bound on what it
 * publishes at once, and the publisher's per-item results as `PublishBatchResult`.
 */

/** The answer to a publish refused because the instance is publishing as much as it takes at once. */
export function inFlightRefusal(retryAfterMs: number) {
  return rateLimited('this instance is publishing as fast as it can (PUBLISH_MAX_IN_FLIGHT)', retryAfterMs);
}

/**
 * Runs a publish of `count` inputs within the instance's `PUBLISH_MAX_IN_FLIGHT`, or refuses it at
 * once (RATE_LIMITED with `retryAfterMs`, nothing published) when publishers together outrun it.
 */
export async function withinInFlight<R>(inFlight: PublishesInFlight, count: number, publish: () => Promise<R>): Promise<R> {
  const taken = inFlight.take(count);
  if ('retryAfterMs' in taken) throw inFlightRefusal(taken.retryAfterMs);
  try {
    return await publish();
  } finally {
    taken.done();
  }
}

/** Refuses the whole batch, before anything is published, when it holds more than `max` inputs. */
export function checkBatchSize(argument: string, count: number, max: number): void {
  if (count > max) throw badUserInput(`${argument} may hold at most ${max} events (PUBLISH_BATCH_MAX; got ${count})`);
}

/** One item per result, at its index; an invalid item's message names it (`inputs[3]: ...`) and its fields. */
export function toBatchResult<T extends Topic>(
  argument: string,
  results: readonly PublishResult<T>[],
  idOf: (payload: PublishResultPayload<T>) => string | null | undefined,
): PublishBatchResult {
  let failed = 0;
  const items = results.map((result, index): PublishItemResult => {
    if ('error' in result) {
      failed += 1;
      const message = `${argument}[${index}]: ${result.error.problems.join('; ')}`;
      return { index, id: null, cursor: null, duplicate: false, error: { code: 'BAD_USER_INPUT', message } };
    }
    const { envelope } = result;
    return { index, id: idOf(envelope.payload) ?? null, cursor: encodeCursor(envelope.position), duplicate: envelope.duplicate === true, error: null };
  });
  return { items, published: items.length - failed, failed };
}

type PublishResultPayload<T extends Topic> = Extract<PublishResult<T>, { envelope: unknown }>['envelope']['payload'];
