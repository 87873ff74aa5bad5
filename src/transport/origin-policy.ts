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
