import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { Client, fetchExchange, mapExchange, subscriptionExchange, type CombinedError } from 'urql';
import { createRetryWait } from './backoff.js';
import { isAuthClose, isCloseLike, shouldRetry } from './close-codes.js';
import { createConnectionStatus, type ConnectionStatusStore } from './connection-status.js';

/** Options of {@link createTitanClient}. */
export interface TitanClientOptions {
  /** The JWT sent as `Authorization: Bearer …` (HTTP) and `connectionParams.authorization` (WebSocket). */
  token: string;
  /**
   * Called at most once per session when the server refuses the token: socket closed with
   * 4401/4403, HTTP 401, or a GraphQL error with `extensions.code` `UNAUTHENTICATED`. `code` and
   * `reason` come from the close frame, or only `reason` (the error message) over HTTP.
   */
  onAuthFailure: (code?: number, reason?: string) => void;
  /**
   * The page location that the endpoints are derived from.
   * @default globalThis.location
   */
  location?: Pick<Location, 'protocol' | 'host'>;
}

/** One authenticated session: the urql client, the graphql-ws client under it, and its status. */
export interface TitanSession {
  readonly client: Client;
  readonly wsClient: WsClient;
  readonly status: ConnectionStatusStore;
  /** Closes the socket; later events no longer touch `status` or call `onAuthFailure`. */
  dispose(): void;
}

/** The HTTP endpoint on the page's own origin. */
export function graphqlHttpUrl(loc: Pick<Location, 'protocol' | 'host'>): string {
  return `${loc.protocol}//${loc.host}/graphql`;
}

/** `ws://host/graphql` for an http page, `wss://host/graphql` for an https one. */
export function graphqlWsUrl(loc: Pick<Location, 'protocol' | 'host'>): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/graphql`;
}

/**
 * An expected "your token is no good" answer over HTTP. FORBIDDEN is left out on purpose: over HTTP
 * it is per operation (e.g. a trader calling `publishPrice`), so it does not mean the token is bad.
 */
function isHttpAuthError(error: CombinedError): boolean {
  const status = (error.response as { status?: number } | undefined)?.status;
  return status === 401 || error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
}

/** Builds the graphql-ws client and the urql client over it for one token. */
export function createTitanClient(options: TitanClientOptions): TitanSession {
  const { token, onAuthFailure, location: loc = globalThis.location } = options;
  const authorization = `Bearer ${token}`;
  const status = createConnectionStatus('connecting');
  let disposed = false;
  let authFailed = false;

  const authFailure = (code?: number, reason?: string) => {
    if (disposed || authFailed) return;
    authFailed = true;
    status.setState('auth-needed', code, reason);
    onAuthFailure(code, reason);
  };

  const wsClient = createWsClient({
    url: graphqlWsUrl(loc),
    connectionParams: () => ({ authorization }),
    // Connect now, not on the first subscription: the status line then tells the truth from the start.
    lazy: false,
    retryAttempts: Infinity,
    retryWait: createRetryWait({ minDelayMs: 500, maxDelayMs: 20_000 }),
    shouldRetry,
    onNonLazyError(errOrCloseEvent) {
      // graphql-ws stopped retrying. Auth closes were already handled in `closed`.
      if (disposed || isAuthClose(errOrCloseEvent)) return;
      if (isCloseLike(errOrCloseEvent)) {
        status.setState('failed', errOrCloseEvent.code, errOrCloseEvent.reason);
      } else {
        status.setState('failed', undefined, errOrCloseEvent instanceof Error ? errOrCloseEvent.message : 'connection error');
      }
    },
    on: {
      connecting: (isRetry) => {
        if (disposed) return;
        // A retry keeps showing the close code that caused it.
        const { code, reason } = status.getSnapshot();
        if (isRetry) status.setState('reconnecting', code, reason);
        else status.setState('connecting');
      },
      connected: () => {
        if (!disposed) status.setState('connected');
      },
      closed: (event) => {
        if (disposed) return;
        if (isAuthClose(event)) return authFailure(event.code, event.reason);
        // Retryable or not, the socket is gone; a fatal close is reported by `onNonLazyError` next.
        if (isCloseLike(event)) status.setState('reconnecting', event.code, event.reason);
        else status.setState('reconnecting');
      },
    },
  });

  const client = new Client({
    url: graphqlHttpUrl(loc),
    // No cacheExchange: every screen here is live, a cached snapshot would only be stale.
    exchanges: [
      mapExchange({
        onError(error) {
          if (isHttpAuthError(error)) authFailure(undefined, error.message);
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = wsClient.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
    fetchOptions: () => ({ headers: { authorization } }),
  });

  return {
    client,
    wsClient,
    status,
    dispose() {
      if (disposed) return;
      disposed = true;
      // Rejects when disposed while still (re)connecting to a server that is down: nothing to do then.
      Promise.resolve(wsClient.dispose()).catch(() => {});
    },
  };
}
