import type { Topic } from './event-bus.js';

/**
 * Every Redis key and channel the bus uses, in one place: this layout is also the documented format
 * for services in other languages (docs/operations.md, "Redis keys").
 *
 * On one Redis (`redis://`, Sentinel) the names are `<prefix>:<topic>:…` and the epoch is shared by
 * every topic. On a Redis Cluster each topic's names carry the topic as a hash tag,
 * `<prefix>:{<topic>}:…`, so one topic's offset counter, epoch, key set, streams, id sets and
 * channels share one hash slot (the publish script touches them together, atomically) and different
 * topics land on different shards; the epoch is then the topic's own.
 */
export class RedisKeys {
  constructor(
    private readonly prefix: string,
    /** Cluster layout (hash tags); the single-server layout otherwise. @default false */
    readonly cluster = false,
  ) {}

  /** STRING: the name of the current history; recreated if Redis lost its data. */
  epoch(topic: Topic): string {
    return this.cluster ? `${this.base(topic)}:epoch` : `${this.prefix}:epoch`;
  }

  /** STRING counter: the last offset given in the topic. */
  offset(topic: Topic): string {
    return `${this.base(topic)}:offset`;
  }

  /**
   * STREAM: the key's capped history; entry id `<offset>-0`, field `p` = the payload JSON, field
   * `v` = the offset of the key's previous event (so trimming is detectable exactly).
   */
  stream(topic: Topic, key: string): string {
    return `${this.base(topic)}:stream:${key}`;
  }

  /** ZSET: the publishers' ids of the key's retained events, scored by offset (idempotent publishing). */
  ids(topic: Topic, key: string): string {
    return `${this.base(topic)}:ids:${key}`;
  }

  /** SET: the keys of the topic that have history. */
  keySet(topic: Topic): string {
    return `${this.base(topic)}:keys`;
  }

  /** Pub/Sub channel of one key (sharded pub/sub on a cluster): messages `{"epoch","offset","payload"}`. */
  channel(topic: Topic, key: string): string {
    return `${this.base(topic)}:live:${key}`;
  }

  private base(topic: Topic): string {
    return this.cluster ? `${this.prefix}:{${topic}}` : `${this.prefix}:${topic}`;
  }
}
