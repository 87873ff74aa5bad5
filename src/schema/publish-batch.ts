import { badUserInput } from '../auth/errors.js';
import { encodeCursor } from '../bus/cursor.js';
import type { Topic } from '../bus/event-bus.js';
import type { PublishResult } from '../publish/market-publisher.js';
import type { PublishBatchResult, PublishItemResult } from './__generated__/resolvers-types.js';

/**
 * The batch mutations (`publishPrices`, `publishSignals`) as the schema answers them: the size
 * bound, and the publisher's per-item results as `PublishBatchResult`.
 */

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
