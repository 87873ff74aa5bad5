import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { memoryCursorStore, type CursorStore } from './cursor-store.js';
import { TitanError, titanErrorOf } from './errors.js';
import type {
  PriceInput,
  SignalInput,
  TitanBacktestProgressSubscription,
  TitanPublishPricesMutation,
  TitanPricesSubscription,
  TitanSignalsSubscription,
} from './gql/graphql.js';
import type { ConnectionStatusChange } from './live/connection-status.js';
import { createLiveConnection, type LiveConnection } from './live/live-connection.js';
import type { ExecutionResultLike } from './live/resumable-subscription.js';
import { startTokenRenewal } from './live/token-renewal.js';
import { createTokenStore } from './live/token-store.js';
import {
  BacktestProgressDocument,
  PricesDocument,
  PriceSnapshotDocument,
  PublishPriceDocument,
  PublishPricesDocument,
  PublishSignalDocument,
  PublishSignalsDocument,
  SignalsDocument,
  SignalSnapshotDocument,
} from './operations.js';
import { createTitanStream, type ExpiryPolicy, type TitanStream } from './streams/titan-stream.js';

export type PriceTick = TitanPricesSubscription['price'];
export type Signal = TitanSignalsSubscription['signal'];
export type BacktestProgress = TitanBacktestProgressSubscription['backtestProgress'];
/** What a batch publish did: `items[i]` for `inputs[i]`, and how many were published and failed. */
export type PublishBatch = TitanPublishPricesMutation['publishPrices'];
/** One input's outcome: `cursor` (and `id`) when published, `duplicate` if its id was already, or `error` (code and message naming `inputs[i]` and the field). */
export type PublishItem = PublishBatch['items'][number];

export interface TitanClientOptions {
  /** The server's `/graphql`, as `ws(s)://` or `http(s)://` (both endpoints are derived from it). */
  url: string;
  /**
   * A JWT, or a function that gives one: called at start, on every (re)connect (a token that
   * outlives the current one is taken), after the server refused one, and before expiry (renewed in
   * band).
   */
  token: string | (() => string | Promise<string>);
  /** WebSocket frames: JSON text, or MessagePack binary (JSON again if the server does not offer it). @default 'json' */
  encoding?: 'json' | 'msgpack';
  /** `auto`: WebSocket, moving to SSE when it cannot open three times in a row. @default 'auto' */
  transport?: 'auto' | 'ws' | 'sse';
  /** Where each stream keeps its last handled cursor (see {@link fileCursorStore} for restarts). @default memoryCursorStore() */
  cursorStore?: CursorStore;
  /** @default globalThis.WebSocket (under Node, the package's Node entry passes `ws`) */
  webSocketImpl?: typeof WebSocket;
  /**
   * Events one stream may hold for a slow consumer; past it the stream stops and resumes from its
   * cursor once the consumer has caught up to half (see {@link TitanStream.queued}). @default 1000
   */
  maxQueuedEvents?: number;
  /**
   * Reconnect backoff in ms, full jitter: retry `n` waits a random delay between 0 and
   * `min(maxRetryDelayMs, retryBaseDelayMs · 2^n)`. @default 500, 20000
   */
  retryBaseDelayMs?: number;
  maxRetryDelayMs?: number;
  /**
   * In a browser, how long the page may stay hidden before the connection is closed (state
   * `paused`); visible again, every stream resumes after its cursor in one go. `Infinity` keeps it
   * open. Services (no `document`) are never paused. @default 10000
   */
  hiddenGraceMs?: number;
}

/** A stream went on from a fresh position after `CURSOR_EXPIRED`; `snapshot` is what was refetched, if anything. */
export interface CursorExpiredEvent {
  key: string;
  snapshot?: unknown;
}

export interface TitanClient {
  /**
   * Ticks of `symbols`; with `maxRate`, at most that many per second per symbol (0.01 to 100), the
   * server keeping the newest of those in between (a capped stream always ends on the latest price).
   */
  prices(variables: { symbols: string[]; maxRate?: number }, onItem?: (tick: PriceTick) => unknown): TitanStream<PriceTick>;
  signals(variables?: { strategyIds?: string[]; symbols?: string[] }, onItem?: (signal: Signal) => unknown): TitanStream<Signal>;
  backtestProgress(id: string, onItem?: (progress: BacktestProgress) => unknown): TitanStream<BacktestProgress>;
  /** Any typed subscription that declares `$after` and selects `cursor` on its root field; items are the root field. */
  subscribe<R extends Record<string, unknown>, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
    onItem?: (item: R[keyof R]) => unknown,
  ): TitanStream<R[keyof R] & { cursor?: string | null }>;
  publishPrice(input: PriceInput): Promise<PriceTick>;
  publishSignal(input: SignalInput): Promise<Signal>;
  /**
   * Publishes ticks in one request, in order (at most the server's `PUBLISH_BATCH_MAX`, 1,000 by
   * default; each counts against the publisher's rate). An invalid input fails alone, in its item's
   * `error`; the request rejects as a whole with a {@link TitanError} (`RATE_LIMITED`: nothing was
   * published; `UNAVAILABLE`: retry with the same ids).
   */
  publishPrices(inputs: readonly PriceInput[]): Promise<PublishBatch>;
  /** As {@link TitanClient.publishPrices}, for signals. */
  publishSignals(inputs: readonly SignalInput[]): Promise<PublishBatch>;
  /** Runs a query or mutation over HTTP; rejects with a {@link TitanError}. */
  request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): Promise<R>;
  /** `state`: every change of the connection (connecting, connected, reconnecting with `retryAt`, offline, auth-needed, failed, closed by `close()`), with the close code and reason. */
  on(event: 'state', listener: (change: ConnectionStatusChange) => void): () => void;
  on(event: 'cursorExpired', listener: (event: CursorExpiredEvent) => void): () => void;
  close(): void;
}

export function createTitanClient(options: TitanClientOptions): TitanClient {
  const { url, token, encoding = 'json', transport = 'auto', cursorStore = memoryCursorStore(), webSocketImpl, maxQueuedEvents = 1000, ...connectionOptions } = options;
  const wsUrl = url.replace(/^http/, 'ws');
  const httpUrl = url.replace(/^ws/, 'http');
  const tokens = createTokenStore({ fetchDevToken: async () => (typeof token === 'string' ? token : await token()) });
  const stateListeners = new Set<(change: ConnectionStatusChange) => void>();
  const expiryListeners = new Set<(event: CursorExpiredEvent) => void>();
  let stopRenewal = () => {};
  let closed = false;

  let connection: Promise<LiveConnection> | null = null;
  /**
   * The live connection, opened by the first stream (a client that only publishes or queries opens
   * none), after the first token: connecting without one would only be refused.
   */
  const connect = (): Promise<LiveConnection> => (connection ??= tokens.acquire().then((): LiveConnection => {
    const live = createLiveConnection({
      wsUrl,
      httpUrl,
      tokens,
      renewTokenOnConnect: typeof token === 'function',
      transport: transport === 'sse' ? 'sse' : 'websocket',
      fallbackAfterFailures: transport === 'ws' ? Infinity : 3,
      ws: { encoding, ...(webSocketImpl && { webSocketImpl }) },
      ...connectionOptions,
    });
    live.status.subscribe((change) => stateListeners.forEach((listener) => listener(change)));
    stopRenewal = startTokenRenewal({ tokens, renew: (fresh) => live.renewToken(fresh) });
    if (closed) live.dispose();
    return live;
  }));

  async function request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    const bearer = await tokens.acquire();
    let body: ExecutionResultLike;
    try {
      const response = await fetch(httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ query: print(document), variables }),
      });
      body = (await response.json()) as ExecutionResultLike;
    } catch (error) {
      // fetch says only "fetch failed"; why (ECONNREFUSED, ENOTFOUND, …) is in its cause.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message;
      throw new TitanError('NETWORK_ERROR', `${httpUrl}: ${(error as Error).message}${why ? ` (${why})` : ''}`);
    }
    if (body.errors?.length) throw titanErrorOf(body.errors);
    return body.data as R;
  }

  function stream<T extends { cursor?: string | null }>(
    document: DocumentNode,
    variables: Record<string, unknown>,
    onExpired: ExpiryPolicy,
    onItem?: (item: T) => unknown,
  ): TitanStream<T> {
    const field = document.definitions.find((definition) => definition.kind === 'OperationDefinition')?.name?.value ?? 'subscription';
    return createTitanStream<T>({
      connection: connect(),
      payload: { query: print(document), variables },
      key: `${field}:${JSON.stringify(variables)}`,
      store: cursorStore,
      onExpired,
      expired: (event) => expiryListeners.forEach((listener) => listener(event)),
      maxQueued: maxQueuedEvents,
      ...(onItem && { onItem }),
    });
  }

  /** Generic and backtest streams go on live (a backtest's current state first) after an expiry. */
  const goLive: ExpiryPolicy = async () => ({ after: null });

  return {
    prices: (variables, onItem) =>
      stream<PriceTick>(PricesDocument, variables, async () => {
        const { priceSnapshot } = await request(PriceSnapshotDocument, { symbols: variables.symbols });
        return { after: priceSnapshot.cursor, snapshot: priceSnapshot.ticks };
      }, onItem),
    signals: (variables = {}, onItem) =>
      stream<Signal>(SignalsDocument, variables, async () => {
        // The snapshot has one filter of each kind; the stream's position is the same for every filter.
        const { signalSnapshot } = await request(SignalSnapshotDocument, {});
        return { after: signalSnapshot.cursor, snapshot: signalSnapshot.signals };
      }, onItem),
    backtestProgress: (id, onItem) => stream<BacktestProgress>(BacktestProgressDocument, { id }, goLive, onItem),
    subscribe<R extends Record<string, unknown>, V extends Record<string, unknown>>(
      document: TypedDocumentNode<R, V>,
      variables: V,
      onItem?: (item: R[keyof R]) => unknown,
    ) {
      return stream<R[keyof R] & { cursor?: string | null }>(document, variables, goLive, onItem);
    },
    publishPrice: async (input) => (await request(PublishPriceDocument, { input })).publishPrice,
    publishSignal: async (input) => (await request(PublishSignalDocument, { input })).publishSignal,
    publishPrices: async (inputs) => (await request(PublishPricesDocument, { inputs: [...inputs] })).publishPrices,
    publishSignals: async (inputs) => (await request(PublishSignalsDocument, { inputs: [...inputs] })).publishSignals,
    request,
    on(event: 'state' | 'cursorExpired', listener: (value: never) => void) {
      const listeners = (event === 'state' ? stateListeners : expiryListeners) as Set<typeof listener>;
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      stopRenewal();
      void connection?.then((live) => live.dispose(), () => {});
    },
  };
}
