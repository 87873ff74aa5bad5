/**
 * What a client needs to know about its JWT without verifying it: when it expires (to renew it in
 * time), whether it already has, and a development token from a server in development mode. The
 * token state of a session (who has which token, who is waiting for one) is `live/token-store.ts`.
 */

/**
 * Asks the server for a development token. The server answers `200 {"token": "<jwt>"}` (a trader
 * token) in development and 404 otherwise; any other outcome, network errors included, is "none".
 *
 * @param url - the server's `/dev/token` (a page's own origin by default).
 */
export async function fetchDevToken(url: string | URL = '/dev/token', signal?: AbortSignal): Promise<string | null> {
  try {
    const response = await fetch(url, { headers: { accept: 'application/json' }, signal });
    if (!response.ok) return null;
    const body: unknown = await response.json();
    const token = (body as { token?: unknown } | null)?.token;
    return typeof token === 'string' && token !== '' ? token : null;
  } catch (error) {
    if (signal?.aborted) throw error;
    return null;
  }
}

/** Trims what the user pasted and drops a leading `Bearer ` they may have copied with it. */
export function normalizeToken(input: string): string {
  return input.trim().replace(/^bearer\s+/i, '');
}

/**
 * When a JWT expires (its `exp` claim, in ms epoch), or null when it has none or is not a JWT we can
 * read. Only for scheduling: the server is the judge of validity.
 */
export function tokenExpiry(token: string): number | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const json = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
    const exp = (JSON.parse(json) as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** True when `token` has an `exp` at or before `now` (ms epoch). */
export function isExpired(token: string, now: number = Date.now()): boolean {
  const expiry = tokenExpiry(token);
  return expiry !== null && expiry <= now;
}
