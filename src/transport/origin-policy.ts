/**
 * Which browser origins may talk to the API (cross-site WebSocket hijacking and CORS). Requests
 * without an `Origin` header come from non-browser clients and are not an origin question.
 */
export function isAllowedOrigin(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (!origin) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * The `Access-Control-Allow-Origin` a response to an allowed cross-origin request carries, as Yoga's
 * CORS answers on `/graphql` (`*` when any origin is allowed); null when none is due.
 */
export function allowOriginHeader(origin: string | undefined, allowed: readonly string[]): string | null {
  if (!origin) return null;
  if (allowed.includes('*')) return '*';
  return allowed.includes(origin) ? origin : null;
}
