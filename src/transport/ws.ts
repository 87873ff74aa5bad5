import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { BlockList } from 'node:net';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { Context } from 'graphql-ws';
import { serveGraphQLWs, type SocketExtra } from './ws-adapter.js';
import { pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { RateLimiter } from '../auth/rate-limiter.js';
import { TokenError, type TokenService } from '../auth/tokens.js';
import type { Logger } from '../logger.js';
import { CloseCode, limitCloseReason } from './close-codes.js';
import { clientAddress } from './client-address.js';
import { ConnectionAuth } from './connection-auth.js';
import { GRAPHQL_PATH, type GraphQLHandler } from './graphql-handler.js';
import { isAllowedOrigin } from './origin-policy.js';
import type { LiveFanout } from './live-fanout.js';

export interface WebSocketTransportOptions {
  /** Largest accepted message in bytes; a larger one closes the socket with 1009. @default 65536 */
  maxPayloadBytes?: number;
  /** Ping interval; a peer that does not pong within the same time is dropped. @default 12000 */
  keepAliveMs?: number;
  /** Time a socket may take to send `connection_init` before it is closed with 4408. @default 3000 */
  connectionInitWaitTimeoutMs?: number;
  /** After a 4008 close, how long a peer that does not read may hold the socket before it is cut. @default 2000 */
  slowCloseTimeoutMs?: number;
  /** Operations open at once on one connection; more are refused with LIMIT_EXCEEDED. @default 100 */
  maxOperationsPerConnection?: number;
  /** Connections one user may hold on this instance; more are closed with 4429. @default 20 */
  maxConnectionsPerUser?: number;
  /** Connection attempts per client IP and minute; more get HTTP 429. @default 120 */
  connectsPerMinute?: number;
  /** Browser origins allowed besides the page's own (`*` for any). @default [] */
  allowedOrigins?: readonly string[];
  /** Load balancers whose `X-Forwarded-For` names the client (per-IP connect limit, logs). @default none */
  trustedProxies?: BlockList | null;
  /** The shared path for live price and signal subscriptions; without it every operation runs per subscriber. */
  fanout?: LiveFanout;
  /** Errors of the socket layer (they close the socket with 4500, never the process), with the connection's `connId`. */
  onInternalError?: (error: unknown, connId: string | undefined) => void;
  /** Connection lines (connected, closed, slow consumer), each with the connection's `connId`. @default silent */
  logger?: Logger;
  /** Called once per connection closed with 4008 (metrics). */
  onSlowDisconnect?: () => void;
}

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
  options: WebSocketTransportOptions = {},
) {
  const {
    maxPayloadBytes = 65_536,
    keepAliveMs = 12_000,
    connectionInitWaitTimeoutMs = 3000,
    slowCloseTimeoutMs = 2000,
    maxOperationsPerConnection = 100,
    maxConnectionsPerUser = 20,
    connectsPerMinute = 120,
    allowedOrigins = [],
    trustedProxies = null,
    fanout,
    onInternalError = (error: unknown) => console.error('websocket transport:', error),
    logger = pino({ level: 'silent' }),
    onSlowDisconnect,
  } = options;
  const attempts = new RateLimiter({ perSecond: connectsPerMinute / 60, burst: connectsPerMinute });
  const sessions = new WeakMap<ConnectionContext, ConnectionAuth>();
  const connectionsPerUser = new Map<string, number>();

  const wsServer = new WebSocketServer({
    server,
    path: GRAPHQL_PATH,
    maxPayload: maxPayloadBytes,
    verifyClient({ req }: { req: IncomingMessage }, accept: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) {
      if (!isAllowedOrigin(req.headers.origin, req.headers.host, allowedOrigins)) {
        accept(false, 403, 'Origin not allowed');
        return;
      }
      const wait = attempts.take(clientAddress(req, trustedProxies));
      if (wait > 0) accept(false, 429, 'Too many connection attempts', { 'Retry-After': String(Math.ceil(wait / 1000)) });
      else accept(true);
    },
  });

  const close = (ctx: ConnectionContext, code: CloseCode, reason: string) => ctx.extra.socket.close(code, limitCloseReason(reason));

  // Every line of a connection carries its connId. An id string per socket, not a pino child logger:
  // a child costs about 2 KB of functions per connection.
  const connectionIds = new WeakMap<WebSocket, string>();
  wsServer.on('connection', (socket: WebSocket) => connectionIds.set(socket, randomBytes(6).toString('base64url')));
  const line = (ctx: ConnectionContext, fields: Record<string, unknown>) => ({ connId: connectionIds.get(ctx.extra.socket), ...fields });

  const disposable = serveGraphQLWs<Record<string, unknown> | undefined>(
    wsServer,
    {
      connectionInitWaitTimeout: connectionInitWaitTimeoutMs,
      execute: (args) => (args.rootValue as Required<ExecutionRoots>).execute(args) as never,
      subscribe: (args) => (args.rootValue as ExecutionRoots).subscribe(args) as never,
      async onConnect(ctx) {
        const authorization = ctx.connectionParams?.authorization;
        // graphql-ws keeps connectionParams for the life of the connection and nothing reads them
        // after this: the token should not stay in memory (nor its ~0.2 KB per connection).
        (ctx as { connectionParams?: unknown }).connectionParams = undefined;
        let session: ConnectionAuth;
        try {
          const viewer = await tokens.verify(typeof authorization === 'string' ? authorization : undefined);
          session = new ConnectionAuth(viewer, tokens, () => close(ctx, CloseCode.Unauthorized, 'Unauthorized: token expired'));
        } catch (error) {
          if (!(error instanceof TokenError)) throw error;
          const forbidden = error.kind === 'forbidden';
          close(ctx, forbidden ? CloseCode.Forbidden : CloseCode.Unauthorized, `${forbidden ? 'Forbidden' : 'Unauthorized'}: ${error.message}`);
          return false;
        }
        const open = connectionsPerUser.get(session.viewer.id) ?? 0;
        if (open >= maxConnectionsPerUser) {
          session.dispose();
          close(ctx, CloseCode.TooManyRequests, `Too many connections for this user (limit ${maxConnectionsPerUser})`);
          return false;
        }
        connectionsPerUser.set(session.viewer.id, open + 1);
        sessions.set(ctx, session);
        logger.info(line(ctx, { user: session.viewer.id, remoteAddress: ctx.extra.remoteAddress }), 'websocket connected');
        return true;
      },
      onClose(ctx, code, reason) {
        const session = sessions.get(ctx);
        logger.info(line(ctx, { code, reason, user: session?.viewer.id }), 'websocket closed');
        if (!session) return;
        session.dispose();
        sessions.delete(ctx);
        const left = (connectionsPerUser.get(session.viewer.id) ?? 1) - 1;
        if (left > 0) connectionsPerUser.set(session.viewer.id, left);
        else connectionsPerUser.delete(session.viewer.id);
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
        setTimeout(() => ctx.extra.socket.terminate(), slowCloseTimeoutMs).unref();
      },
      async onSubscribe(ctx, id, params) {
        if (Object.keys(ctx.subscriptions).length > maxOperationsPerConnection) {
          return [
            new GraphQLError(`Too many operations open on this connection (limit ${maxOperationsPerConnection})`, {
              extensions: { code: 'LIMIT_EXCEEDED' },
            }),
          ];
        }
        const session = sessions.get(ctx);
        const { schema, execute, subscribe, contextFactory, parse, validate } = graphql.getEnveloped({ params, session });
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
        const plan = session ? (fanout?.match(schema, document, params.operationName, params.variables, session.viewer) ?? null) : null;
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: (plan && fanout && session ? fanout.entry(ctx.extra.socket, id, plan, session) : { execute, subscribe }) satisfies ExecutionRoots,
        };
      },
    },
    {
      keepAliveMs,
      addressOf: (request) => clientAddress(request, trustedProxies),
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
