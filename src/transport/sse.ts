import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLParams } from 'graphql-yoga';
import type { TokenService } from '../auth/tokens.js';
import { unauthenticated } from '../auth/errors.js';
import type { LiveFanout } from './fanout/live-fanout.js';
import { SseMember } from './fanout/sse-member.js';
import { ConnectionAuth } from './connection-auth.js';
import { clientError } from './error-masking.js';
import type { GraphQLHandler } from './graphql-handler.js';
import { allowOriginHeader } from './origin-policy.js';
import { adoptQueryToken } from './sse-query-token.js';
import { lastEventId, SSE_COMMENT, SSE_KEEP_ALIVE_MS } from './sse-resume.js';

export interface SseTransportOptions {
  graphql: GraphQLHandler;
  tokens: TokenService;
  fanout: LiveFanout;
  /** Browser origins allowed besides the page's own (`*` for any): their responses carry CORS. */
  allowedOrigins: readonly string[];
}

const TOKEN_EXPIRED = () => unauthenticated('token expired: reconnect with a fresh token and resume after your last cursor');

/**
 * GraphQL subscriptions over Server-Sent Events on `/graphql` (`Accept: text/event-stream`, one
 * operation per response: the "distinct connections" mode Yoga serves) on the shared fan-out. A
 * request this path does not take — anything but a valid, authorized subscription the fan-out
 * serves — goes to Yoga as it came, and Yoga answers it, errors included, like any other request.
 * Answers like Yoga's own SSE: a `:` comment at once, `event: next` per result with its cursor as
 * `id:`, `event: complete`; a `Last-Event-ID` header resumes after that cursor (`sse-resume.ts`).
 */
export function createSseTransport(options: SseTransportOptions) {
  const { graphql, tokens, fanout, allowedOrigins } = options;
  const streams = new Set<ServerResponse>();
  const keepAlive = setInterval(() => {
    for (const response of streams) if (!response.writableEnded) response.write(SSE_COMMENT);
  }, SSE_KEEP_ALIVE_MS);
  keepAlive.unref();

  /** Yoga's answer; the body, if read here, is handed over as whatwg-node takes a parsed body. */
  const toYoga = (request: IncomingMessage, response: ServerResponse, body: string | null) => {
    if (body !== null) (request as IncomingMessage & { body?: string }).body = body;
    return graphql(request, response);
  };

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const accept = request.headers.accept ?? '';
    const method = request.method ?? 'GET';
    // An empty POST is Yoga's to refuse; its stream is left unread.
    if (!accept.includes('text/event-stream') || (method !== 'GET' && method !== 'POST') || (method === 'POST' && request.headers['content-length'] === '0')) {
      return graphql(request, response);
    }
    if (method === 'GET') adoptQueryToken(request);
    const body = method === 'POST' ? await readBody(request) : null;
    if (method === 'POST' && body === null) return; // the client went away while sending
    const params = paramsOf(request, body);
    // A token this path cannot take (refused, or its key set unreachable: JWKS_URL) goes to Yoga,
    // which answers with the typed error (UNAUTHENTICATED, UNAVAILABLE) as for any request.
    const viewer = params && (await tokens.verify(request.headers.authorization).catch(() => null));
    if (!params || !viewer) return toYoga(request, response, body);
    // Like a WebSocket, a stream lives as long as its token: when it expires, the stream ends with
    // UNAUTHENTICATED and the client comes back with a fresh one (and resumes from its cursor).
    let member: SseMember | null = null;
    let lapsed = false;
    const auth = new ConnectionAuth(viewer, tokens, () => {
      lapsed = true;
      member?.fail(TOKEN_EXPIRED());
    });
    response.once('close', () => auth.dispose());
    // A probe: what fails here goes to Yoga, which answers and counts it (operation metrics).
    const { schema, contextFactory, parse, validate } = graphql.getEnveloped({ params, auth, probe: true });
    let document;
    try {
      document = parse(params.query ?? '');
    } catch {
      return toYoga(request, response, body);
    }
    if (validate(schema, document).length > 0) return toYoga(request, response, body);
    // A Last-Event-ID that is no cursor of ours is not matched: Yoga answers it with BAD_CURSOR.
    const plan = await fanout.match(schema, document, params.operationName, params.variables, viewer, lastEventId(request.headers['last-event-id']));
    if (!plan) return toYoga(request, response, body);

    const origin = allowOriginHeader(request.headers.origin, allowedOrigins);
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...(origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
    });
    // At once: some browsers hold a fetch until the first bytes of its body arrive.
    response.write(SSE_COMMENT);
    streams.add(response);
    response.once('close', () => streams.delete(response));
    const args = { schema, document, operationName: params.operationName, variableValues: params.variables, contextValue: await contextFactory() };
    const joined = await fanout.joinStream(response, plan, args, auth);
    if (joined instanceof SseMember) {
      member = joined;
      if (lapsed) joined.fail(TOKEN_EXPIRED());
      return;
    }
    if (!response.writableEnded) {
      response.end(`event: next\ndata: ${JSON.stringify({ errors: (joined.errors ?? []).map((error) => clientError(error).toJSON()) })}\n\nevent: complete\ndata:\n\n`);
    }
  }

  return {
    /** Serves a request on `/graphql`: an SSE subscription on the shared path, anything else through Yoga. */
    handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
      return serve(request, response).catch((error: unknown) => {
        if (response.headersSent) {
          response.end();
          return;
        }
        response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ errors: [clientError(error).toJSON()] }));
      });
    },
    /** Stops the keep-alive timer (the HTTP server ends the streams themselves). */
    dispose(): void {
      clearInterval(keepAlive);
    },
  };
}

/** A request's body as text, or null if the client went away before sending all of it. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of request) chunks.push(chunk as Buffer);
  } catch {
    return null;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GraphQL-over-HTTP parameters from the query string (GET) or a JSON body (POST); null if malformed. */
function paramsOf(request: IncomingMessage, body: string | null): GraphQLParams | null {
  try {
    if (body !== null) {
      const parsed = JSON.parse(body) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as GraphQLParams) : null;
    }
    const search = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const variables = search.get('variables');
    return {
      query: search.get('query') ?? undefined,
      operationName: search.get('operationName') ?? undefined,
      variables: variables ? (JSON.parse(variables) as Record<string, unknown>) : undefined,
    };
  } catch {
    return null;
  }
}
