import type { Topic } from './event-bus.js';

/**
 * Every Redis key and channel the bus uses, in one place: this layout is also the documented format
 * for services in other languages (README, "Publishing from other languages").
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  /** STRING: the name of the current history; recreated if Redis lost its data. */
  epoch(): string {
    return `${this.prefix}:epoch`;
  }

  /** STRING counter: the last offset given in the topic. */
  offset(topic: Topic): string {
    return `${this.prefix}:${topic}:offset`;
  }

  /** STREAM: the key's capped history; entry id `<offset>-0`, field `p` = the payload JSON. */
  stream(topic: Topic, key: string): string {
    return `${this.prefix}:${topic}:stream:${key}`;
  }

  /** SET: the keys of the topic that have history. */
  keySet(topic: Topic): string {
    return `${this.prefix}:${topic}:keys`;
  }

  /** Pub/Sub channel of one key: messages `{"epoch","offset","payload"}`. */
  channel(topic: Topic, key: string): string {
    return `${this.prefix}:${topic}:live:${key}`;
  }
}

/**
 * KEYS: epoch, offset counter, stream, key set. ARGV: channel, payload JSON, max length, key, a fresh
 * epoch to use if none exists. Returns { epoch, offset }. Atomic: no reader sees the history without
 * the live message having been sent, or the reverse.
 */
export const PUBLISH_SCRIPT = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[5]
  redis.call('SET', KEYS[1], epoch)
end
local offset = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], offset .. '-0', 'p', ARGV[2])
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('PUBLISH', ARGV[1], '{"epoch":"' .. epoch .. '","offset":' .. offset .. ',"payload":' .. ARGV[2] .. '}')
return { epoch, offset }
`;
