import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { Context } from 'graphql-ws';
import { serveGraphQLWs, type SocketExtra } from './ws-adapter.js';
import { WebSocket, WebSocketServer } from 'ws';
import { TokenError, type TokenService } from '../auth/tokens.js';
import { UnavailableError } from '../bus/unavailable.js';
import { proxyList, type HttpConfig, type Limits, type WsConfig } from '../config.js';
import type { SharedLimits } from '../limits/limits.js';
import type { Logger } from '../logger.js';
import { CloseCode, limitCloseReason } from './close-codes.js';
import { clientAddress } from './client-address.js';
import { ConnectionAuth } from './connection-auth.js';
import { GRAPHQL_PATH, type GraphQLHandler } from './graphql-handler.js';
import { isAllowedOrigin } from './origin-policy.js';
import type { LiveFanout } from './fanout/live-fanout.js';

export interface WebSocketTransportOptions {
  /** Read: `keepAliveMs`, `connectionInitTimeoutMs`, `maxPayloadBytes` (a larger message closes the socket with 1009). */
  ws: WsConfig;
  /** Read: `subscriptionsPerConnection` (more operations are refused with LIMIT_EXCEEDED). */
  limits: Limits;
  /**
   * Counts `connects` per client IP (more get HTTP 429) and `connections` per user (more are closed
   * with 4429), across instances when they share Redis.
   */
  counts: Pick<SharedLimits, 'connects' | 'connections'>;
  /** Read: `allowedOrigins` (besides the page's own), `trustedProxies` (whose `X-Forwarded-For` names the client). */
  http: HttpConfig;
  /** The shared path for live price and signal subscriptions; without it every operation runs per subscriber. */
  fanout?: LiveFanout;
  /** Errors of the socket layer (they close the socket with 4500, never the process), with the connection's `connId`. */
  onInternalError: (error: unknown, connId: string | undefined) => void;
  /** Connection lines (connected, closed, slow consumer), each with the connection's `connId`. */
  logger: Logger;
  /** Called once per connection closed with 4008 (metrics). */
  onSlowDisconnect?: () => void;
}

/** After a 4008 close, how long a peer that does not read may hold the socket before it is cut. */
const SLOW_CLOSE_TIMEOUT_MS = 2000;

/** The root value of an operation: how graphql-ws runs it (the shared path serves subscriptions only). */
type ExecutionRoots = { execute?: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
type ConnectionContext = Context<Record<string, unknown> | undefined, SocketExtra>;

/**
 * graphql-ws (`graphql-transport-ws`) on `/graphql`, sharing the HTTP server's port. Upgrades are
 * checked for origin and rate; the token is checked on `connection_init` and can be renewed in band;
 * every operation then runs through the same Yoga core as HTTP.
 */
export function attachWebSocketTransport(
  server: Server,
  graphql: GraphQLHandler,
  tokens: TokenService,
  options: WebSocketTransportOptions,
) {
  const { ws, limits, counts, http, fanout, onInternalError, logger, onSlowDisconnect } = options;
  const proxies = proxyList(http.trustedProxies);
  const auths = new WeakMap<ConnectionContext, ConnectionAuth>();

  const wsServer = new WebSocketServer({
    server,
    path: GRAPHQL_PATH,
    maxPayload: ws.maxPayloadBytes,
    verifyClient({ req }: { req: IncomingMessage }, accept: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) {
      if (!isAllowedOrigin(req.headers.origin, req.headers.host, http.allowedOrigins)) {
        accept(false, 403, 'Origin not allowed');
        return;
      }
      // Counted across instances with Redis; while it is away, by this instance alone.
      counts.connects
        .take(clientAddress(req, proxies))
        .then((wait) => {
          if (wait > 0) accept(false, 429, 'Too many connection attempts', { 'Retry-After': String(Math.ceil(wait / 1000)) });
          else accept(true);
        })
        .catch((error: unknown) => onInternalError(error, undefined));
    },
  });

  const close = (ctx: ConnectionContext, code: CloseCode, reason: string) => ctx.extra.socket.close(code, limitCloseReason(reason));

  // Every line of a connection carries its connId. An id string per socket, not a pino child logger:
  // a child costs about 2 KB of functions per connection.
  const connectionIds = new WeakMap<WebSocket, string>();
  const idOf = (socket: WebSocket): string => {
    let id = connectionIds.get(socket);
    if (id === undefined) connectionIds.set(socket, (id = randomBytes(6).toString('base64url')));
    return id;
  };
  wsServer.on('connection', (socket: WebSocket) => idOf(socket));
  const line = (ctx: ConnectionContext, fields: Record<string, unknown>) => ({ connId: idOf(ctx.extra.socket), ...fields });

  const disposable = serveGraphQLWs<Record<string, unknown> | undefined>(
    wsServer,
    {
      connectionInitWaitTimeout: ws.connectionInitTimeoutMs,
      execute: (args) => (args.rootValue as Required<ExecutionRoots>).execute(args) as never,
      subscribe: (args) => (args.rootValue as ExecutionRoots).subscribe(args) as never,
      async onConnect(ctx) {
        const authorization = ctx.connectionParams?.authorization;
        // graphql-ws keeps connectionParams for the life of the connection and nothing reads them
        // after this: the token should not stay in memory (nor its ~0.2 KB per connection).
        (ctx as { connectionParams?: unknown }).connectionParams = undefined;
        let auth: ConnectionAuth;
        try {
          const viewer = await tokens.verify(typeof authorization === 'string' ? authorization : undefined);
          auth = new ConnectionAuth(viewer, tokens, () => close(ctx, CloseCode.Unauthorized, 'Unauthorized: token expired'));
        } catch (error) {
          if (error instanceof UnavailableError) {
            // The identity provider's keys cannot be fetched: the token may be fine, the client retries.
            close(ctx, CloseCode.TryAgainLater, `Try again later: ${error.message}`);
            return false;
          }
          if (!(error instanceof TokenError)) throw error;
          const forbidden = error.kind === 'forbidden';
          close(ctx, forbidden ? CloseCode.Forbidden : CloseCode.Unauthorized, `${forbidden ? 'Forbidden' : 'Unauthorized'}: ${error.message}`);
          return false;
        }
        const user = auth.viewer.id;
        const connId = idOf(ctx.extra.socket);
        if (!(await counts.connections.acquire(user, connId))) {
          auth.dispose();
          close(ctx, CloseCode.TooManyRequests, `Too many connections for this user (limit ${limits.connectionsPerUser})`);
          return false;
        }
        // Closed while its token or its count was checked: onClose has run without an identity to release.
        if (ctx.extra.socket.readyState !== WebSocket.OPEN) {
          auth.dispose();
          counts.connections.release(user, connId);
          return false;
        }
        auths.set(ctx, auth);
        logger.info(line(ctx, { user: auth.viewer.id, remoteAddress: ctx.extra.remoteAddress }), 'websocket connected');
        return true;
      },
      onClose(ctx, code, reason) {
        const auth = auths.get(ctx);
        logger.info(line(ctx, { code, reason, user: auth?.viewer.id }), 'websocket closed');
        if (!auth) return;
        auth.dispose();
        auths.delete(ctx);
        counts.connections.release(auth.viewer.id, idOf(ctx.extra.socket));
      },
      onError(ctx, id, _payload, errors) {
        // A reliable subscription fell too far behind: close the whole connection (4008) so the client
        // reconnects and resumes by cursor. A peer that does not read would not take the close frame
        // either, so it is cut after a grace period and its buffers are freed.
        if (!errors.some((error) => error.extensions?.code === 'SLOW_CONSUMER')) return;
        // After graphql-ws has queued the error message for this operation, so it goes out first.
        setImmediate(() => {
          // Several operations of one connection may overflow together: the connection counts once.
          if (ctx.extra.socket.readyState !== WebSocket.OPEN) return;
          logger.warn(line(ctx, { operationId: id }), 'slow consumer: closing with 4008');
          onSlowDisconnect?.();
          close(ctx, CloseCode.SlowConsumer, 'Slow consumer: resume after your last cursor');
        });
        setTimeout(() => ctx.extra.socket.terminate(), SLOW_CLOSE_TIMEOUT_MS).unref();
      },
      async onSubscribe(ctx, id, params) {
        if (Object.keys(ctx.subscriptions).length > limits.subscriptionsPerConnection) {
          return [
            new GraphQLError(`Too many operations open on this connection (limit ${limits.subscriptionsPerConnection})`, {
              extensions: { code: 'LIMIT_EXCEEDED' },
            }),
          ];
        }
        const auth = auths.get(ctx);
        const { schema, execute, subscribe, contextFactory, parse, validate } = graphql.getEnveloped({ params, auth });
        let document;
        try {
          document = parse(params.query);
        } catch (error) {
          // A syntax error answers this operation only; the socket and its other operations go on.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return [...errors];
        const plan = auth ? ((await fanout?.match(schema, document, params.operationName, params.variables, auth.viewer)) ?? null) : null;
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: (plan && fanout && auth ? fanout.entry(ctx.extra.socket, id, plan, auth) : { execute, subscribe }) satisfies ExecutionRoots,
        };
      },
    },
    {
      keepAliveMs: ws.keepAliveMs,
      addressOf: (request) => clientAddress(request, proxies),
      onInternalError: (error, socket) => onInternalError(error, connectionIds.get(socket)),
    },
  );

  return {
    /** Open sockets, authenticated or not yet. */
    connections: (): number => wsServer.clients.size,
    /** Closes every socket with 1001 (going away) and stops accepting. */
    dispose: async (): Promise<void> => {
      await disposable.dispose();
    },
  };
}
