import { catchUpPages, type CatchUp } from './catch-up.js';
import { DeliveryStream, type DeliveryMeter } from './delivery-stream.js';
import type { EventBus, Envelope, StreamPosition, Topic, Unsubscribe } from './event-bus.js';
import { RateCap } from './rate-cap.js';
import type { OverflowPolicy } from './resume.js';

export interface ListenOptions<T extends Topic> {
  /** Resume: first deliver what was published to the keys after this position (as `catchUp` says). */
  after?: StreamPosition | null;
  /** How a resume catches up: every missed event (the default), or the newest per key past a bound. */
  catchUp?: CatchUp;
  /** At most one live event per key every this many milliseconds, ending on the newest (`RateCap`); absent: every event. */
  capIntervalMs?: number | null;
  /** Keeps only the events a subscriber asked for (e.g. a symbol filter). */
  accept?: (envelope: Envelope<T>) => boolean;
  /** Ends the stream after delivering an event for which this returns true. */
  isLast?: (envelope: Envelope<T>) => boolean;
  /** Live events that may wait for a slow reader. */
  capacity: number;
  overflow: OverflowPolicy<Envelope<T>>;
  /** Counts deliveries, replays, conflation and slow consumers of the stream (metrics). */
  meter?: DeliveryMeter;
}

/**
 * Events of several keys of one topic as one async iterable: replay after a position, then live,
 * without a gap or a duplicate. The live subscription starts first and holds what arrives while the
 * history is read; the stream then drops what the replay already delivered (by offset). Resolves
 * once live delivery has started; ending or returning the iterable releases every bus subscription.
 */
export async function listen<T extends Topic>(
  bus: EventBus,
  topic: T,
  keys: readonly string[],
  options: ListenOptions<T>,
): Promise<DeliveryStream<T>> {
  const { after, catchUp = { kind: 'replay' }, capIntervalMs, accept, isLast, capacity, overflow, meter } = options;
  const unsubscribes: Unsubscribe[] = [];
  let released = false;
  // In front of the stream: what the cap holds back never waits in the stream's queue. (It emits
  // only once the bus delivers, after the stream below exists.)
  const cap = capIntervalMs
    ? new RateCap(capIntervalMs, (envelope: Envelope<T>) => envelope.key, (envelope) => stream.push(envelope), () => meter?.conflated(1))
    : null;
  const release = () => {
    released = true;
    cap?.close();
    for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
  };
  const stream = new DeliveryStream<T>({
    capacity,
    overflow,
    accept,
    isLast,
    after: after ?? undefined,
    replay: after ? catchUpPages(bus, topic, keys, after, catchUp) : undefined,
    onClose: release,
    meter,
  });
  const onEvent = cap ? (envelope: Envelope<T>) => cap.offer(envelope) : (envelope: Envelope<T>) => stream.push(envelope);
  const onLost = (error: Error) => stream.fail(error);
  const results = await Promise.allSettled(keys.map((key) => bus.subscribe(topic, key, onEvent, onLost)));
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
