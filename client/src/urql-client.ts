import {
  Client,
  fetchExchange,
  makeOperation,
  mapExchange,
  subscriptionExchange,
  type CombinedError,
  type Operation,
} from 'urql';
import {
  createLiveConnection,
  declaresAfter,
  startTokenRenewal,
  type LiveConnection,
  type LiveConnectionOptions,
  type TokenStore,
} from '@titan-realtime/client';

/** Options of {@link createDashboardSession}. */
export interface DashboardSessionOptions extends Partial<Omit<LiveConnectionOptions, 'tokens'>> {
  /** The page's token: sent as `Authorization: Bearer …` (HTTP, SSE) and `connectionParams.authorization` (WebSocket). */
  tokens: TokenStore;
  /**
   * The page location that the endpoints are derived from.
   * @default globalThis.location
   */
  location?: Pick<Location, 'protocol' | 'host'>;
  /**
   * How long before a token's `exp` to renew it over the WebSocket (when a fresh one can be had
   * without the user).
   * @default 60000
   */
  renewLeadMs?: number;
}

/** One page's urql client and the live connection under its subscriptions. */
export interface DashboardSession {
  readonly client: Client;
  readonly connection: LiveConnection;
  /** Closes the connection and stops token renewal. */
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

/** The bearer token an operation was sent with (stamped by {@link withToken}). */
function tokenOf(operation: Operation): string | null {
  const { fetchOptions } = operation.context;
  const headers = (typeof fetchOptions === 'function' ? fetchOptions() : fetchOptions)?.headers as
    | Record<string, string>
    | undefined;
  return headers?.authorization?.replace(/^Bearer /, '') ?? null;
}

/** The operation with the current token in its headers, so a refusal can tell which token it refused. */
function withToken(operation: Operation, token: string | null): Operation {
  if (token === null || operation.kind === 'subscription') return operation;
  const { fetchOptions } = operation.context;
  const base = (typeof fetchOptions === 'function' ? fetchOptions() : fetchOptions) ?? {};
  return makeOperation(operation.kind, operation, {
    ...operation.context,
    fetchOptions: { ...base, headers: { ...(base.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } },
  });
}

/**
 * Builds the urql client over one live connection: queries and mutations over `fetch`, every
 * subscription through the connection (resumed by cursor across reconnects, SSE fallback and new
 * tokens). A query refused for its token is run again once a new token is in.
 */
export function createDashboardSession(options: DashboardSessionOptions): DashboardSession {
  const { tokens, location: loc = globalThis.location, renewLeadMs, ...liveOptions } = options;
  const connection = createLiveConnection({
    wsUrl: graphqlWsUrl(loc),
    httpUrl: graphqlHttpUrl(loc),
    ...liveOptions,
    tokens,
  });
  const stopRenewal = startTokenRenewal({
    tokens,
    renew: (token) => connection.renewToken(token),
    ...(renewLeadMs !== undefined && { leadMs: renewLeadMs }),
  });
  let disposed = false;

  const client: Client = new Client({
    url: graphqlHttpUrl(loc),
    // No cacheExchange: every screen here is live, a cached snapshot would only be stale.
    exchanges: [
      mapExchange({
        onOperation: (operation) => withToken(operation, tokens.current()),
        onError(error, operation) {
          if (disposed || operation.kind === 'subscription' || !isHttpAuthError(error)) return;
          tokens.refresh(tokenOf(operation), { code: 401, message: error.message }).then(
            () => {
              // A query runs again and its hook gets the new result. A mutation does not: its caller
              // already has the error, and a silent second run could do what nobody sees.
              if (!disposed && operation.kind === 'query') client.reexecuteOperation(operation);
            },
            () => {},
          );
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request, operation) {
          const payload = { ...request, query: request.query || '' };
          const resumable = declaresAfter(operation.query);
          return {
            subscribe(sink) {
              return { unsubscribe: connection.subscribe(payload, sink, { resumable }) };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    connection,
    dispose() {
      if (disposed) return;
      disposed = true;
      stopRenewal();
      connection.dispose();
    },
  };
}
