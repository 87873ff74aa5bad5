import type { IncomingMessage } from 'node:http';

/** The query parameter of RFC 6750 §2.3 ("URI query parameter"). */
const PARAMETER = 'access_token';

/**
 * A browser's `EventSource` cannot send an `Authorization` header, so an SSE request (a GET that
 * accepts `text/event-stream`, which is what an `EventSource` sends) may carry its token as the
 * `access_token` query parameter instead. It is taken out of the URL before anything else reads it
 * (the request log never writes the query string anyway) and becomes the request's bearer token,
 * unless the request has an `Authorization` header, which wins. Anywhere else the parameter is
 * ignored: a token in a URL can end up in a proxy's or a browser's history, so only the one
 * transport that has no other way takes it (docs/security.md).
 */
export function adoptQueryToken(request: IncomingMessage): void {
  const url = request.url ?? '';
  const start = url.indexOf('?');
  if (start < 0) return;
  const params = new URLSearchParams(url.slice(start + 1));
  const token = params.get(PARAMETER);
  if (token === null) return;
  params.delete(PARAMETER);
  const rest = params.toString();
  request.url = url.slice(0, start) + (rest ? `?${rest}` : '');
  request.headers.authorization ??= `Bearer ${token}`;
}
