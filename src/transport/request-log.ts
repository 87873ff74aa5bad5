import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * An incoming `X-Request-Id` (from a load balancer or a client) is kept only when it looks like an
 * id: anything longer or with other characters could forge or bloat log lines, so it is replaced.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Probes and scrapes arrive every few seconds from machines: logged at debug, not info. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Gives every HTTP request an id (the caller's `X-Request-Id` if sane, else a new one), echoes it in
 * the response and logs one line when the response ends: method, path (never the query string,
 * which may carry variables), status and duration. A route that throws is answered with 500 and
 * logged with the same id.
 */
export function logRequests(logger: Logger, route: Route): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const incoming = request.headers['x-request-id'];
    const reqId = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const started = performance.now();
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    response.setHeader('x-request-id', reqId);
    response.once('close', () => {
      const line = {
        reqId,
        method: request.method,
        path,
        status: response.statusCode,
        durationMs: Math.round(performance.now() - started),
        // An SSE stream or a download the client left before the end.
        ...(response.writableFinished ? {} : { aborted: true }),
      };
      if (PROBES.has(path)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    route(request, response).catch((error: unknown) => {
      logger.error({ err: error, reqId, method: request.method, path }, 'request failed');
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  };
}
