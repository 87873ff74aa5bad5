import type { BacktestProgressEvent, PriceEvent, SignalEvent } from '../domain/events.js';

/**
 * The bus contract. A topic is a kind of event; each event is published under a key of its topic
 * (prices by symbol, signals by strategy, progress by backtest id). `publish` and `subscribe` are
 * checked against this map, so a payload can never reach a listener of another shape.
 */
export interface Topics {
  price: PriceEvent;
  signal: SignalEvent;
  backtestProgress: BacktestProgressEvent;
  /** A request, from any instance, that the instance running this backtest stop it. */
  backtestCancel: { backtestId: string };
}

export type Topic = keyof Topics;

export const TOPICS: readonly Topic[] = ['price', 'signal', 'backtestProgress', 'backtestCancel'];

/**
 * Where an event stands in its topic. `offset` increases with every publish to the topic (across
 * all its keys), so events of one topic are totally ordered; `epoch` names the history the offset
 * belongs to and changes when that history is lost (a new in-memory bus, a Redis that lost its data).
 */
export interface StreamPosition {
  epoch: string;
  offset: number;
}

export interface Envelope<T extends Topic = Topic> {
  topic: T;
  key: string;
  position: StreamPosition;
  payload: Topics[T];
}

export type Listener<T extends Topic> = (envelope: Envelope<T>) => void;

export type Unsubscribe = () => void;

export interface EventBus {
  /**
   * Stores the event in the key's bounded history and fans it out to every listener of the key on
   * every instance; resolves with the position it was given. Rejects if it could not be stored,
   * in which case no listener received it.
   */
  publish<T extends Topic>(topic: T, key: string, payload: Topics[T]): Promise<Envelope<T>>;
  /**
   * Calls `listener` for each event published under `key` from now on, in publish order. Resolves
   * once delivery has started; the returned function stops it and releases what it held.
   */
  subscribe<T extends Topic>(topic: T, key: string, listener: Listener<T>): Promise<Unsubscribe>;
  /** The newest `count` events of the key, newest first. */
  latest<T extends Topic>(topic: T, key: string, count: number): Promise<Envelope<T>[]>;
  /** Every key that has had an event published and still has history. */
  keys(topic: Topic): Promise<string[]>;
  /** Stops delivery and releases connections. */
  close(): Promise<void>;
}
