import type { LimitsSettings, SharedLimits } from './limits.js';
import { memoryLimits } from './local-limits.js';
import { RedisLimits } from './redis-limits.js';

/**
 * Picks the limits the settings ask for: counted in Redis across instances when a URL is given, else
 * in this process. Never waits for Redis: until it answers, every instance counts alone.
 */
export function openLimits(settings: LimitsSettings): SharedLimits {
  const { redisUrl } = settings;
  return redisUrl ? new RedisLimits({ ...settings, redisUrl }) : memoryLimits(settings.limits);
}
