import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { Registry } from 'prom-client';
import type { HttpConfig } from '../config.js';
import { GRAPHQL_PATH } from './graphql-handler.js';
import { isAllowedOrigin } from './origin-policy.js';

export interface HttpRoutesOptions {
  /** Answers a request to `/graphql` once it passed the origin and size checks (`sse.ts`: SSE on the shared path, the rest through Yoga). */
  graphql: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  /** Folder of the built web client, served at `/`; null serves none. */
  clientDir: string | null;
  /** A trader token handed to the web client in development; null answers `/dev/token` with 404. */
  devToken: string | null;
  /** Readiness: false while the event bus backend (Redis) is unreachable. */
  isReady: () => boolean;
  /**
   * Read: `maxBodyBytes` (of a request to `/graphql`), `allowedOrigins` (besides the page's own),
   * `metricsToken` (when set, `/metrics` requires `Authorization: Bearer <token>`).
   */
  http: HttpConfig;
  /** The app's metrics, served in Prometheus text format on `/metrics`. */
  metrics: Registry;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** Routes a plain HTTP request: GraphQL (and SSE, GraphiQL) on `/graphql`, health, metrics, the dev token, the client. */
export function createHttpRoutes(options: HttpRoutesOptions) {
  const {
    graphql,
    clientDir,
    devToken,
    isReady,
    http: { maxBodyBytes, allowedOrigins, metricsToken },
    metrics,
  } = options;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (path === GRAPHQL_PATH || path.startsWith(`${GRAPHQL_PATH}/`)) {
      const refusal = refuseRequest(request, maxBodyBytes, allowedOrigins);
      if (refusal) return sendRefusal(request, response, ...refusal);
      await graphql(request, response);
      return;
    }
    if (path === '/healthz') return sendText(response, 200, 'ok');
    if (path === '/readyz') {
      const ready = isReady();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(ready ? { status: 'ready' } : { status: 'degraded', reason: 'event bus (Redis) unreachable' }));
      return;
    }
    if (path === '/metrics') {
      if (metricsToken !== undefined && !isBearer(request.headers.authorization, metricsToken)) {
        response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' });
        response.end('Unauthorized: /metrics needs Authorization: Bearer <METRICS_TOKEN>');
        return;
      }
      const body = await metrics.metrics();
      response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
      response.end(body);
      return;
    }
    if (path === '/dev/token') {
      if (devToken === null) return sendText(response, 404, 'Not found: dev tokens are off (JWT_SECRET is set)');
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify({ token: devToken }));
      return;
    }
    if (clientDir === null || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return sendText(response, 404, 'Not found');
    }
    await serveStatic(clientDir, path, response);
  };
}

async function serveStatic(root: string, path: string, response: ServerResponse): Promise<void> {
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
  } catch {
    return sendText(response, 400, 'Bad request: malformed path');
  }
  if (relative.split(sep).includes('..')) return sendText(response, 400, 'Bad request: path leaves the site');
  // Client-side routes fall back to the app shell.
  const candidates = [join(root, relative), join(root, 'index.html')];
  for (const file of candidates) {
    const info = await stat(file).catch(() => null);
    if (info?.isFile()) {
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      createReadStream(file).pipe(response);
      return;
    }
  }
  sendText(response, 404, 'Not found: the web client is not built (run `npm run build:client`)');
}

/** Checks made before a request reaches GraphQL: its origin and its body size. */
function refuseRequest(request: IncomingMessage, maxBodyBytes: number, allowedOrigins: readonly string[]): [number, string, string] | null {
  if (!isAllowedOrigin(request.headers.origin, request.headers.host, allowedOrigins)) {
    return [403, 'FORBIDDEN', `Origin ${request.headers.origin} is not allowed`];
  }
  if (request.method !== 'POST') return null;
  const length = request.headers['content-length'];
  // Yoga reads the whole body before parsing: an unbounded (chunked) body is refused up front.
  if (length === undefined) return [411, 'LENGTH_REQUIRED', 'POST requests to /graphql need a Content-Length header'];
  if (Number(length) > maxBodyBytes) return [413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBodyBytes} bytes`];
  return null;
}

/** Compares in constant time (over digests, so the length does not leak either). */
function isBearer(authorization: string | undefined, token: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(authorization ?? ''), digest(`Bearer ${token}`));
}

/**
 * How much of a refused request's body is read (and dropped, never kept) before the answer: about a
 * second of a 100 Mbit/s link, and more than any GraphQL request a client means to send.
 */
const MAX_DISCARDED_BYTES = 16 * 2 ** 20;

/**
 * Answers a refused request once its body has been read and dropped. A server that answers and
 * closes while the client is still sending makes many clients fail without the status (Node's fetch
 * gets EPIPE, others a reset); curl alone reads an early answer. A body larger than
 * `MAX_DISCARDED_BYTES` (as declared, or as it turns out when chunked) is not worth the wait: it is
 * answered at once and the connection closed.
 */
function sendRefusal(request: IncomingMessage, response: ServerResponse, status: number, code: string, message: string): void {
  if (Number(request.headers['content-length'] ?? 0) > MAX_DISCARDED_BYTES) return sendError(response, status, code, message);
  let discarded = 0;
  const answer = () => {
    request.off('data', discard);
    if (!response.headersSent) sendError(response, status, code, message);
  };
  const discard = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) answer();
  };
  request.on('data', discard);
  request.once('end', answer);
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  response.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}
