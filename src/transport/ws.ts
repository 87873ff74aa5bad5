import type { Server } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { TokenError, type TokenService } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import { CloseCode, limitCloseReason } from './close-codes.js';
import { GRAPHQL_PATH, type GraphQLHandler } from './graphql-handler.js';

export interface WebSocketTransportOptions {
  /** Largest accepted frame in bytes; a larger one closes the socket with 1009. @default 1048576 */
  maxPayloadBytes?: number;
  /** Ping interval; a peer that does not pong within the same time is dropped. @default 12000 */
  keepAliveMs?: number;
  /** Time a socket may take to send `connection_init` before it is closed with 4408. @default 3000 */
  connectionInitWaitTimeoutMs?: number;
  /** After a 4008 close, how long a peer that does not read may hold the socket before it is cut. @default 2000 */
  slowCloseTimeoutMs?: number;
}

type ExecutionRoots = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

/**
 * graphql-ws (`graphql-transport-ws`) on `/graphql`, sharing the HTTP server's port. The token is
 * checked once, on `connection_init`; every operation then runs through the same Yoga core as HTTP.
 */
export function attachWebSocketTransport(
  server: Server,
  graphql: GraphQLHandler,
  tokens: TokenService,
  options: WebSocketTransportOptions = {},
) {
  const {
    maxPayloadBytes = 1024 * 1024,
    keepAliveMs = 12_000,
    connectionInitWaitTimeoutMs = 3000,
    slowCloseTimeoutMs = 2000,
  } = options;
  const wsServer = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: maxPayloadBytes });
  const viewers = new WeakMap<Context<Record<string, unknown> | undefined, Extra>, Viewer>();

  const disposable = useServer(
    {
      connectionInitWaitTimeout: connectionInitWaitTimeoutMs,
      execute: (args) => (args.rootValue as ExecutionRoots).execute(args) as never,
      subscribe: (args) => (args.rootValue as ExecutionRoots).subscribe(args) as never,
      async onConnect(ctx) {
        const authorization = ctx.connectionParams?.authorization;
        try {
          viewers.set(ctx, await tokens.verify(typeof authorization === 'string' ? authorization : undefined));
          return true;
        } catch (error) {
          if (!(error instanceof TokenError)) throw error;
          const code = error.kind === 'forbidden' ? CloseCode.Forbidden : CloseCode.Unauthorized;
          ctx.extra.socket.close(code, limitCloseReason(`${code === CloseCode.Forbidden ? 'Forbidden' : 'Unauthorized'}: ${error.message}`));
          return false;
        }
      },
      onError(ctx, _id, _payload, errors) {
        // A reliable subscription fell too far behind: close the whole connection (4008) so the client
        // reconnects and resumes by cursor. A peer that does not read would not take the close frame
        // either, so it is cut after a grace period and its buffers are freed.
        if (!errors.some((error) => error.extensions?.code === 'SLOW_CONSUMER')) return;
        const { socket } = ctx.extra;
        socket.close(CloseCode.SlowConsumer, 'Slow consumer: resume after your last cursor');
        setTimeout(() => socket.terminate(), slowCloseTimeoutMs).unref();
      },
      async onSubscribe(ctx, _id, params) {
        const { schema, execute, subscribe, contextFactory, parse, validate } = graphql.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          viewer: viewers.get(ctx),
        });
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
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies ExecutionRoots,
        };
      },
    },
    wsServer,
    keepAliveMs,
  );

  return {
    /** Closes every socket with 1001 (going away) and stops accepting. */
    dispose: async (): Promise<void> => {
      await disposable.dispose();
    },
  };
}

