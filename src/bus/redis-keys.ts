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

  /**
   * STREAM: the key's capped history; entry id `<offset>-0`, field `p` = the payload JSON, field
   * `v` = the offset of the key's previous event (so trimming is detectable exactly).
   */
  stream(topic: Topic, key: string): string {
    return `${this.prefix}:${topic}:stream:${key}`;
  }

  /** ZSET: the publishers' ids of the key's retained events, scored by offset (idempotent publishing). */
  ids(topic: Topic, key: string): string {
    return `${this.prefix}:${topic}:ids:${key}`;
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
