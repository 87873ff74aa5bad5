import { backoff } from '../backoff.js';
import { classifyClose, isCloseLike, type CloseClass } from '../close-codes.js';
import { createConnectionStatusStore, type ConnectionStatusStore } from './connection-status.js';
import { createResumableSubscription, type ResultSink, type ResumableSubscription, type SubscriptionPayload } from './resumable-subscription.js';
import { createSseTransport } from './sse-transport.js';
import type { TokenStore } from './token-store.js';
import type { Transport, TransportEvents } from './transport.js';
import { watchHiddenPage } from './hidden-pause.js';
import { browserNetwork, browserPageVisibility, type NetworkMonitor, type PageVisibility } from './page-lifecycle.js';
import { createWakeableSleep } from './wakeable-sleep.js';
import { createWsTransport, type WsTransport, type WsTransportOptions } from './ws-transport.js';

/**
 * One page's live connection: the transport under every subscription (graphql-ws, or SSE when
 * WebSockets cannot connect), the status machine it drives, resume by cursor across transports and
 * tokens, the way out of an auth refusal (a fresh token, then a new connection), and the page's
 * situation: no network (`offline`: said at once, retried the moment it is back) and a page hidden
 * for long (its connection closed until it is seen again, then every subscription resumed).
 */
export interface LiveConnectionOptions {
  /** `ws(s)://host/graphql`. */
  wsUrl: string;
  /** `http(s)://host/graphql` (SSE). */
  httpUrl: string;
  tokens: TokenStore;
  /**
   * Ask the token's source again on every (re)connect (a WebSocket's, an SSE request's) and take a
   * token that outlives the current one (a service's token function). @default false
   */
  renewTokenOnConnect?: boolean;
  /** @default 'websocket' */
  transport?: 'websocket' | 'sse';
  /**
   * The first reconnect's backoff window, in ms: each retry waits a random delay between 0 and
   * `retryBaseDelayMs · 2^retries`, capped at `maxRetryDelayMs` (full jitter, see backoff.ts).
   * @default 500
   */
  retryBaseDelayMs?: number;
  /**
   * The largest backoff window before a reconnect, in ms.
   * @default 20000
   */
  maxRetryDelayMs?: number;
  /**
   * After 1001 (server going away) or 4008 (slow consumer), the first retry waits a random delay
   * below this, not the backoff.
   * @default 250
   */
  promptRetryMaxMs?: number;
  /**
   * WebSockets that close without ever opening, before any connection succeeded, after which
   * subscriptions switch to SSE for the rest of the page.
   * @default 3
   */
  fallbackAfterFailures?: number;
  /** graphql-ws watchdogs and WebSocket class (tests), and the WebSocket message encoding. */
  ws?: Pick<WsTransportOptions, 'keepAliveMs' | 'pongTimeoutMs' | 'openTimeoutMs' | 'webSocketImpl' | 'encoding'>;
  /** For SSE. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default the browser's `navigator.onLine` and `online`/`offline` events (none under Node: always online) */
  network?: NetworkMonitor;
  /** @default the browser's Page Visibility (`document.visibilityState`; none under Node: always visible) */
  visibility?: PageVisibility;
  /**
   * How long the page may stay hidden before its connection is closed (state `paused`); when it is
   * visible again every subscription resumes after its cursor. `Infinity` keeps it open.
   * @default 10000
   */
  hiddenGraceMs?: number;
  /** @default Math.random */
  random?: () => number;
  /** @default Date.now */
  now?: () => number;
}

export interface LiveConnection {
  readonly status: ConnectionStatusStore;
  /**
   * Starts a subscription that survives reconnects, transport switches and new tokens, resuming
   * after its last cursor when `resumable` (the operation declares `$after`).
   */
  subscribe(request: SubscriptionPayload, sink: ResultSink, options?: { resumable?: boolean }): () => void;
  /** Runs `renewToken(token)` on the WebSocket; false when not connected over one, or refused. */
  renewToken(token: string): Promise<boolean>;
  dispose(): void;
}

const RENEW_TOKEN = 'mutation RenewToken($token: String!) { renewToken(token: $token) { subject expiresAt } }';

/** Code and reason of a close event, or the message of an error. */
function describe(event: unknown): { code?: number; reason?: string } {
  if (isCloseLike(event)) return { code: event.code, reason: event.reason };
  if (event instanceof Error) return { reason: event.message };
  return { reason: 'connection error' };
}

export function createLiveConnection(options: LiveConnectionOptions): LiveConnection {
  const {
    wsUrl,
    httpUrl,
    tokens,
    renewTokenOnConnect = false,
    transport: initialKind = 'websocket',
    retryBaseDelayMs = 500,
    maxRetryDelayMs = 20_000,
    promptRetryMaxMs = 250,
    fallbackAfterFailures = 3,
    ws: wsOptions = {},
    fetch: fetchImpl,
    network = browserNetwork(),
    visibility = browserPageVisibility(),
    hiddenGraceMs = 10_000,
    random = Math.random,
    now = Date.now,
  } = options;
  backoff(0, retryBaseDelayMs, maxRetryDelayMs); // fail now on bad bounds

  const status = createConnectionStatusStore({ transport: initialKind });
  const sleeper = createWakeableSleep();
  const subscriptions = new Set<ResumableSubscription>();
  let disposed = false;
  let generation = 0; // events of a replaced transport are ignored
  let everConnected = false;
  let everOpened = false; // a WebSocket opened at least once: WebSockets work here
  let openedThisAttempt = false;
  let failuresBeforeOpen = 0;
  let lastClose: CloseClass = 'retry';
  let authFailures = 0;
  let recovering: Promise<void> | null = null;
  let fatal: unknown = null;
  /** The page has been hidden past its grace period: no transport until it is visible again. */
  let paused = false;

  /** Keeps the code and reason of the close that caused the wait. */
  const setDown = (detail: { code?: number; reason?: string; retryAt?: number | null }) =>
    status.setState(network.isOnline() ? 'reconnecting' : 'offline', detail);

  function retryWait(retries: number): Promise<void> {
    const delay =
      lastClose === 'prompt' && retries === 0
        ? Math.floor(random() * promptRetryMaxMs)
        : backoff(retries, retryBaseDelayMs, maxRetryDelayMs, random);
    lastClose = 'retry';
    const { code, reason, state } = status.getSnapshot();
    // A paused connection has no transport left to retry (a late wait of the one it closed says nothing).
    if (!paused && state !== 'auth-needed' && state !== 'failed') setDown({ code, reason, retryAt: now() + delay });
    return sleeper.sleep(delay);
  }

  function events(kind: Transport['kind'], mine: number): TransportEvents {
    const current = () => mine === generation && !disposed;
    return {
      connecting(isRetry) {
        if (!current()) return;
        openedThisAttempt = false;
        const { state, code, reason } = status.getSnapshot();
        if (state === 'auth-needed' || state === 'offline') return;
        if (!isRetry && !everConnected) status.setState('connecting');
        else status.setState('reconnecting', { code, reason });
      },
      opened() {
        if (!current()) return;
        openedThisAttempt = true;
        everOpened = true;
      },
      connected() {
        if (!current()) return;
        everConnected = true;
        authFailures = 0;
        failuresBeforeOpen = 0;
        status.setState('connected');
      },
      closed(event) {
        if (!current()) return;
        const detail = describe(event);
        // A WebSocket that fails while the browser has no network says nothing about WebSockets here.
        if (kind === 'websocket' && !everOpened && !openedThisAttempt && network.isOnline()) {
          failuresBeforeOpen += 1;
          if (failuresBeforeOpen >= fallbackAfterFailures) return switchToSse(detail);
        }
        const kindOfClose = classifyClose(event);
        if (kindOfClose === 'auth' || kindOfClose === 'forbidden') return recoverAuth(event);
        if (kindOfClose === 'fatal') {
          // graphql-ws has given up and ends every subscription with this close; later ones fail at once.
          fatal = event;
          status.setState('failed', detail);
          return;
        }
        lastClose = kindOfClose;
        setDown(detail);
      },
    };
  }

  function createTransport(kind: Transport['kind']): Transport {
    generation += 1;
    const mine = generation;
    const on = events(kind, mine);
    if (kind === 'websocket') {
      try {
        return createWsTransport({
          ...wsOptions,
          url: wsUrl,
          connectionParams: async () => {
            if (renewTokenOnConnect) await tokens.renewSilently().catch(() => null);
            return { authorization: `Bearer ${tokens.current() ?? ''}` };
          },
          retryWait,
          on,
          onConstructorError(error) {
            // WebSockets cannot work here: move to SSE now, outside graphql-ws's call stack.
            queueMicrotask(() => {
              if (mine === generation && !disposed) switchToSse(describe(error));
            });
          },
        });
      } catch (error) {
        status.setState(status.getSnapshot().state, { ...describe(error), transport: 'sse' });
        return createTransport('sse');
      }
    }
    const token = () => tokens.current();
    return createSseTransport({
      url: httpUrl,
      headers: async (): Promise<Record<string, string>> => {
        if (renewTokenOnConnect) await tokens.renewSilently().catch(() => null);
        const value = token();
        return value ? { authorization: `Bearer ${value}` } : {};
      },
      retryWait: (retries) => retryWait(retries),
      on,
      ...(fetchImpl && { fetch: fetchImpl }),
    });
  }

  /** Null while paused. */
  let transport: Transport | null = createTransport(initialKind);
  /** How subscriptions travel (kept while paused, when there is no transport). */
  let transportKind: Transport['kind'] = transport.kind;

  /**
   * Moves every subscription to a new transport of `kind`, each resuming after its cursor (while
   * paused, only the kind is kept: resuming creates it).
   */
  function replaceTransport(kind: Transport['kind']): void {
    transportKind = kind;
    if (paused) return;
    const old = transport;
    transport = createTransport(kind);
    transportKind = transport.kind;
    for (const subscription of subscriptions) subscription.restart();
    old?.dispose();
  }

  /** After a new token: reconnect now, or stay paused until the page is seen. */
  function reconnectWithNewToken(): void {
    if (paused) {
      status.setState('paused');
      return;
    }
    status.setState(everConnected ? 'reconnecting' : 'connecting');
    replaceTransport(transportKind);
  }

  /** The page has been hidden past its grace period: close the transport; subscriptions keep their cursors. */
  function pause(): void {
    if (paused || disposed || fatal !== null) return;
    paused = true;
    generation += 1; // the closing transport's last events are ignored
    const old = transport;
    transport = null;
    old?.dispose();
    status.setState('paused');
  }

  /** Visible again: one new connection, on which every subscription is sent after its cursor. */
  function resume(): void {
    if (!paused || disposed) return;
    paused = false;
    if (status.getSnapshot().state === 'paused') {
      status.setState(!network.isOnline() ? 'offline' : everConnected ? 'reconnecting' : 'connecting');
    }
    transport = createTransport(transportKind);
    transportKind = transport.kind;
    for (const subscription of subscriptions) subscription.restart();
  }

  function switchToSse(detail: { code?: number; reason?: string }): void {
    if (transportKind === 'sse' || disposed) return;
    status.setState(everConnected ? 'reconnecting' : 'connecting', { ...detail, transport: 'sse' });
    replaceTransport('sse');
  }

  /** 4401 / 4403 / HTTP 401: get another token (silently or from the user), then a new connection. */
  function recoverAuth(event: unknown): void {
    if (recovering || disposed) return;
    const refused = tokens.current();
    const detail = describe(event);
    setDown(detail);
    recovering = (async () => {
      // A token that keeps being refused (clock skew, a misconfigured server) is not retried in a loop.
      if (authFailures > 0) await sleeper.sleep(backoff(authFailures - 1, retryBaseDelayMs, maxRetryDelayMs, random));
      authFailures += 1;
      await tokens.refresh(refused, { code: detail.code, message: detail.reason });
      if (!disposed) reconnectWithNewToken();
    })().finally(() => {
      recovering = null;
    });
  }

  let asking = false;
  const stopWatchingTokens = tokens.subscribe(() => {
    if (disposed) return;
    const { request } = tokens.getSnapshot();
    if (request?.reason === 'refused') {
      asking = true;
      status.setState('auth-needed', { code: request.code, reason: request.message });
    } else if (request === null && asking) {
      asking = false;
      // Asked because of an HTTP 401 rather than a close: the connection still runs on the refused
      // token and will be cut soon; move it to the new one now (subscriptions resume by cursor).
      if (!recovering && status.getSnapshot().state === 'auth-needed') reconnectWithNewToken();
    }
  });

  const stopWatchingNetwork = network.subscribe((online) => {
    if (disposed || paused) return;
    const { state, code, reason, retryAt } = status.getSnapshot();
    if (online) {
      sleeper.wakeAll(); // retry now, not at the next backoff step
      if (state === 'offline') status.setState('reconnecting', { code, reason });
    } else if (state === 'connected') {
      // Nothing can travel on the connection now, and the browser may take a while to notice it died
      // (until a ping goes unanswered): say so at once and drop it. The new transport's attempts fail
      // fast while offline and back off; the `online` event wakes the pending one.
      status.setState('offline', { reason: 'the browser is offline' });
      replaceTransport(transportKind);
    } else if (state === 'reconnecting' || state === 'connecting') {
      status.setState('offline', { code, reason, retryAt });
    }
  });

  const stopWatchingVisibility = watchHiddenPage({ visibility, graceMs: hiddenGraceMs, pause, resume, now });

  return {
    status,
    subscribe(request, sink, { resumable = true } = {}) {
      if (fatal !== null || disposed) {
        const error = fatal ?? new Error('connection closed');
        queueMicrotask(() => sink.error(error));
        return () => {};
      }
      const forget = () => subscriptions.delete(subscription);
      const subscription: ResumableSubscription = createResumableSubscription({
        request,
        resumable,
        // While paused there is no transport: resume() restarts every subscription.
        subscribe: (payload, inner) => (transport ? transport.subscribe(payload, inner) : () => {}),
        onTransportFailure(error) {
          const kind = classifyClose(error);
          if (disposed || (kind !== 'auth' && kind !== 'forbidden')) return false;
          recoverAuth(error);
          return true;
        },
        sink: {
          next: (result) => sink.next(result),
          error(error) {
            forget();
            sink.error(error);
          },
          complete() {
            forget();
            sink.complete();
          },
        },
      });
      subscriptions.add(subscription);
      return () => {
        forget();
        subscription.unsubscribe();
      };
    },
    async renewToken(token) {
      const current = transport;
      if (current?.kind !== 'websocket' || status.getSnapshot().state !== 'connected') return false;
      try {
        const result = await (current as WsTransport).execute(RENEW_TOKEN, { token });
        return !result.errors?.length;
      } catch {
        return false;
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      stopWatchingTokens();
      stopWatchingNetwork();
      stopWatchingVisibility();
      for (const subscription of subscriptions) subscription.unsubscribe();
      subscriptions.clear();
      transport?.dispose();
      status.setState('closed', { reason: 'closed by the client' });
    },
  };
}
