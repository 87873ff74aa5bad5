import { CliError, ExitCode } from './exit-codes.js';

/** The server's HTTP URL of `/graphql` for a `ws(s)://` or `http(s)://` one. */
export function httpUrlOf(url: string): string {
  return url.replace(/^ws/, 'http');
}

/**
 * The development token of the server at `url` (`GET /dev/token`). Unlike the package's
 * `fetchDevToken`, which answers "none" for every failure (right for a page that then asks its
 * user), the CLI has to tell an unreachable server from one in production mode.
 */
export async function devToken(url: string): Promise<string> {
  const endpoint = new URL('/dev/token', httpUrlOf(url));
  let response: Response;
  try {
    response = await fetch(endpoint, { headers: { accept: 'application/json' } });
  } catch (error) {
    throw new CliError(ExitCode.unreachable, `cannot reach ${endpoint.origin}: ${causeOf(error)}`);
  }
  if (response.status === 404) {
    throw new CliError(ExitCode.token, `${endpoint.origin} hands out no development tokens (production mode, or JWT_SECRET is set): pass --token or set TITAN_TOKEN`);
  }
  const body = (await response.json().catch(() => null)) as { token?: unknown } | null;
  if (!response.ok || typeof body?.token !== 'string') {
    throw new CliError(ExitCode.failure, `${endpoint.href} answered ${response.status} without a token`);
  }
  return body.token;
}

/** fetch's `TypeError: fetch failed` hides the reason (ECONNREFUSED, ENOTFOUND) in its cause. */
export function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
