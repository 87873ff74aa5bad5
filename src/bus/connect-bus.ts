import type { EventBus, Topic } from './event-bus.js';
import { MemoryEventBus } from './memory-event-bus.js';
import { RedisEventBus } from './redis-event-bus.js';

export interface BusSettings {
  /** Redis URL (`redis://`, `rediss://` or `redis+sentinel://`); without one the bus is in-memory. */
  redisUrl?: string | undefined;
  historyMaxLen: number;
  onError: (error: unknown) => void;
  /** Called after each event this process published was stored and fanned out (metrics). */
  onPublished?: (topic: Topic) => void;
}

/** Picks the bus the settings ask for: Redis when a URL is given, else the embedded in-memory bus. */
export async function connectBus({ redisUrl, historyMaxLen, onError, onPublished }: BusSettings): Promise<EventBus> {
  if (redisUrl) return RedisEventBus.connect({ url: redisUrl, historyMaxLen, onError, onPublished });
  return new MemoryEventBus({ historyMaxLen, onListenerError: onError, onPublished });
}
