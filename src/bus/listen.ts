import type { EventBus, Envelope, Topic, Unsubscribe } from './event-bus.js';
import { SubscriptionStream } from './subscription-stream.js';

export interface ListenOptions<T extends Topic> {
  /** Keeps only the events a subscriber asked for (e.g. a symbol filter). */
  accept?: (envelope: Envelope<T>) => boolean;
  /** Ends the stream after delivering an event for which this returns true. */
  isLast?: (envelope: Envelope<T>) => boolean;
  /** Events that may wait for a slow reader before the stream fails. @default 1000 */
  capacity?: number;
}

/**
 * Live events of several keys of one topic as one async iterable. Resolves once delivery from every
 * key has started; ending or returning the iterable releases every bus subscription.
 */
export async function listen<T extends Topic>(
  bus: EventBus,
  topic: T,
  keys: readonly string[],
  options: ListenOptions<T> = {},
): Promise<SubscriptionStream<Envelope<T>>> {
  const { accept, isLast, capacity = 1000 } = options;
  const unsubscribes: Unsubscribe[] = [];
  let released = false;
  const release = () => {
    released = true;
    for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
  };
  const stream = new SubscriptionStream<Envelope<T>>({ capacity, onClose: release });
  const onEvent = (envelope: Envelope<T>) => {
    if (accept && !accept(envelope)) return;
    stream.push(envelope);
    if (isLast?.(envelope)) stream.end();
  };
  const results = await Promise.allSettled(keys.map((key) => bus.subscribe(topic, key, onEvent)));
  for (const result of results) if (result.status === 'fulfilled') unsubscribes.push(result.value);
  // The stream may have ended while subscribing (e.g. a terminal event arrived): release late arrivals.
  if (released) release();
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    stream.fail(failed.reason);
    throw failed.reason;
  }
  return stream;
}
