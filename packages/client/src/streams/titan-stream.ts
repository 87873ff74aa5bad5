import type { CursorStore } from '../cursor-store.js';
import { TitanError, titanErrorOf } from '../errors.js';
import { hasErrorCode, isGraphQLErrorList, type ExecutionResultLike, type SubscriptionPayload } from '../live/resumable-subscription.js';
import type { LiveConnection } from '../live/live-connection.js';

/**
 * One typed stream of a {@link TitanClient}: an async iterable of the root field's items (and a
 * callback form), resumed after its last cursor on every reconnect by the live connection, started
 * after the cursor its store holds, and kept going through `CURSOR_EXPIRED` by its policy.
 */
export interface TitanStream<T> extends AsyncIterable<T> {
  /** The cursor of the last event the consumer has handled (the one stored), if any. */
  readonly cursor: string | null;
  /** Events received and not yet handled by the consumer: never more than `maxQueuedEvents`. */
  readonly queued: number;
  /**
   * Settles when the stream ends: resolves on `complete` or {@link close}, rejects with the
   * {@link TitanError} that ended it (the iterator throws the same; for the callback form this is
   * where it shows).
   */
  readonly done: Promise<void>;
  /** Stops the subscription; a pending iteration ends. */
  close(): void;
}

/** What a stream does when its cursor has expired: the new position to go on from, and what to tell the caller. */
export type ExpiryPolicy = () => Promise<{ after: string | null; snapshot?: unknown }>;

export interface StreamOptions<T> {
  connection: Promise<LiveConnection>;
  payload: SubscriptionPayload;
  /** The cursor store's key: the field and its arguments. */
  key: string;
  store: CursorStore;
  onExpired: ExpiryPolicy;
  /** Told about every `CURSOR_EXPIRED` the stream went on from (never silently). */
  expired(event: { key: string; snapshot?: unknown }): void;
  /** Callback form: each item, awaited before its cursor is stored. */
  onItem?: (item: T) => unknown;
  /**
   * Events that may wait for a slow consumer. At the bound the stream stops its subscription and drops
   * what was still on its way; once the consumer has caught up to half, it subscribes again after the
   * last event it queued, and the server replays the rest from history: memory stays bounded and
   * nothing is lost (a consumer slower than the history is long gets `CURSOR_EXPIRED`'s policy).
   */
  maxQueued: number;
}

type Pull<T> = { resolve(result: IteratorResult<T>): void; reject(error: unknown): void };

/** Whatever ended a stream, as the TitanError its consumer gets. */
function asTitanError(error: unknown): TitanError {
  if (error instanceof TitanError) return error;
  return titanErrorOf(isGraphQLErrorList(error) ? error : [{ message: String((error as Error)?.message ?? error) }]);
}

/** The first root field of a result: `{ price: {...} }` → the tick. */
function rootItem<T>(data: Record<string, unknown> | null | undefined): T | undefined {
  return data ? (Object.values(data)[0] as T | undefined) : undefined;
}

export function createTitanStream<T extends { cursor?: string | null }>(options: StreamOptions<T>): TitanStream<T> {
  const { connection, payload, key, store, onExpired, expired, onItem, maxQueued } = options;
  const queue: T[] = [];
  /** Callback form: items given to `onItem` and not yet handled. */
  let inFlight = 0;
  /** Which subscription is current: a stopped one's late events, errors and completion are ignored. */
  let generation = 0;
  /** Stopped because the consumer fell `maxQueued` behind. */
  let paused = false;
  const backlog = () => (onItem ? inFlight : queue.length);
  const pulls: Pull<T>[] = [];
  let handled: string | null = null;
  /** The cursor of the last event received (handled or still queued): where a new subscription starts. */
  let received: string | null = null;
  let settle: { resolve(): void; reject(error: unknown): void } = { resolve() {}, reject() {} };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // seen by the iterator's caller, or by nobody: never an unhandled rejection
  let unsubscribe: (() => void) | null = null;
  let ended: { error?: TitanError } | null = null;
  let closed = false;
  /** Cursor writes, in order. */
  let storing: Promise<void> = Promise.resolve();

  function commit(item: T | undefined): void {
    const cursor = item?.cursor;
    if (typeof cursor !== 'string') return;
    handled = cursor;
    storing = storing.then(() => store.set(key, cursor)).catch(() => {});
  }

  function finish(error?: TitanError): void {
    if (ended) return;
    ended = error ? { error } : {};
    if (error) settle.reject(error);
    else settle.resolve();
    for (const pull of pulls.splice(0)) (error ? pull.reject(error) : pull.resolve({ done: true, value: undefined }));
  }

  /** The consumer fell `maxQueued` behind: stop the subscription (what is on its way is dropped: it will be replayed). */
  function pause(): void {
    generation += 1;
    paused = true;
    const stop = unsubscribe;
    unsubscribe = null;
    stop?.();
  }

  /** The consumer caught up to half: subscribe again after the last event queued. */
  function resumeIfCaughtUp(): void {
    if (!paused || closed || ended || backlog() > maxQueued / 2) return;
    paused = false;
    void start(received);
  }

  let delivering: Promise<void> = Promise.resolve();
  function deliver(item: T): void {
    if (typeof item.cursor === 'string') received = item.cursor;
    if (onItem) {
      inFlight += 1;
      delivering = delivering.then(async () => {
        if (closed) return;
        await onItem(item);
        commit(item);
        inFlight -= 1;
        resumeIfCaughtUp();
      });
    } else {
      const pull = pulls.shift();
      if (pull) pull.resolve({ done: false, value: item });
      else queue.push(item);
    }
    if (backlog() >= maxQueued) pause();
  }

  /** Subscribes after `after`; a failure to (re)subscribe ends the stream with it, never an unhandled rejection. */
  function start(after: string | null): Promise<void> {
    return subscribeAfter(after).catch((error: unknown) => finish(asTitanError(error)));
  }

  async function subscribeAfter(after: string | null): Promise<void> {
    const mine = ++generation;
    const live = await connection;
    if (closed || mine !== generation) return;
    const variables = { ...payload.variables, ...(after !== null && { after }) };
    unsubscribe = live.subscribe({ ...payload, variables }, {
      next(result: ExecutionResultLike) {
        if (mine !== generation) return;
        if (result.errors?.length && result.data == null) return this.error(result.errors);
        const item = rootItem<T>(result.data);
        if (item !== undefined && item !== null) deliver(item);
      },
      error(error) {
        if (mine !== generation) return;
        unsubscribe = null;
        if (isGraphQLErrorList(error) && hasErrorCode(error, 'UNAVAILABLE')) {
          // Redis is away (or not yet there after a restart): the server refused to start it; try again.
          const wait = titanErrorOf(error).retryAfterMs ?? 1_000;
          setTimeout(() => void start(received), wait);
          return;
        }
        if (isGraphQLErrorList(error) && hasErrorCode(error, 'CURSOR_EXPIRED')) {
          void onExpired().then(
            ({ after: next, snapshot }) => {
              expired({ key, snapshot });
              received = next;
              return start(next);
            },
            (failure: unknown) => finish(asTitanError(failure)),
          );
          return;
        }
        finish(asTitanError(error));
      },
      complete() {
        if (mine !== generation) return;
        unsubscribe = null;
        finish();
      },
    });
  }

  void Promise.resolve(store.get(key)).then((stored) => {
    handled = stored;
    received = stored;
    const given = payload.variables?.after;
    received ??= typeof given === 'string' ? given : null;
    return start(received);
  }, (error: unknown) => finish(asTitanError(error)));

  function close(): void {
    if (closed) return;
    closed = true;
    generation += 1;
    unsubscribe?.();
    finish();
  }

  let lastYielded: T | undefined;
  return {
    get cursor() {
      return handled;
    },
    get queued() {
      return backlog();
    },
    done,
    close,
    [Symbol.asyncIterator]() {
      return {
        next(): Promise<IteratorResult<T>> {
          // Asking for the next event means the last one was handled: store its cursor now.
          commit(lastYielded);
          lastYielded = undefined;
          const item = queue.shift();
          if (item !== undefined) {
            lastYielded = item;
            resumeIfCaughtUp();
            return Promise.resolve({ done: false, value: item });
          }
          if (ended) return ended.error ? Promise.reject(ended.error) : Promise.resolve({ done: true, value: undefined });
          return new Promise<IteratorResult<T>>((resolve, reject) => {
            pulls.push({
              resolve: (result) => {
                if (!result.done) lastYielded = result.value;
                resolve(result);
              },
              reject,
            });
          });
        },
        async return(): Promise<IteratorResult<T>> {
          commit(lastYielded);
          lastYielded = undefined;
          await storing;
          close();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
