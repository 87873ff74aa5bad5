import type { EventBus, Topic } from './event-bus.js';
import { MemoryEventBus } from './memory-event-bus.js';
import type { RedisTimeouts } from './redis-connection.js';
import { RedisEventBus } from './redis-event-bus.js';
import type { LinkLog } from './redis-link.js';

/** The `bus` knobs of `config.ts` (the slice as it is), and where the bus reports. */
export interface BusSettings {
  /** Redis URL (`redis://`, `rediss://`, `redis+sentinel://` or `redis+cluster://`); without one the bus is in-memory. */
  redisUrl: string | undefined;
  historyMaxLen: number;
  timeouts: RedisTimeouts;
  log: LinkLog;
  onError: (error: unknown) => void;
  /** Called after each event this process published was stored and fanned out (metrics). */
  onPublished?: (topic: Topic) => void;
}

/**
 * Picks the bus the settings ask for: Redis when a URL is given, else the embedded in-memory bus.
 * Never waits for Redis: the process starts (not ready) while it is away.
 */
export function openBus({ redisUrl, historyMaxLen, timeouts, log, onError, onPublished }: BusSettings): EventBus {
  if (redisUrl) return RedisEventBus.open({ redisUrl, historyMaxLen, timeouts, log, onError, onPublished });
  return new MemoryEventBus({ historyMaxLen, onListenerError: onError, onPublished });
}
