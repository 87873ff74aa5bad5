/**
 * What a caller sees while Redis is unreachable, frozen, restarting or failing over: one error class
 * with the time after which a retry is worth making. Every Redis call of the API turns a connection
 * problem into it (`asUnavailable`), so nothing upstream has to know ioredis' error shapes, and no
 * internal message reaches a client.
 */
export class UnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(
    message: string,
    /** When a retry may succeed: the reconnect delay of the Redis client. */
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnavailableError';
  }
}

/**
 * Error codes of the network and ioredis messages that mean "Redis is not answering now", as
 * opposed to a bug or a bad command: they are expected during an outage and logged without a stack.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = [
  'Connection is closed',
  'Command timed out',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'All sentinels are unreachable',
  'connect ETIMEDOUT',
  'Failed to refresh slots cache',
  "Cluster isn't ready",
  'Cluster is disconnect',
  'None of startup nodes is available',
];
/**
 * Redis replies that say "not now" (loading a snapshot, a replica during failover, out of memory; on
 * a cluster, a slot whose master changed under a plain connection).
 */
const TRANSIENT_REPLIES = /^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS|MOVED|ASK)\b/;

/** True when `error` says Redis (or the way to it) is unavailable, not that something is broken. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof UnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (TRANSIENT_REPLIES.test(error.message)) return true;
  return CONNECTION_MESSAGES.some((text) => error.message.includes(text));
}

/**
 * `error` as an `UnavailableError` when it is a connection problem (the message says what the caller
 * can do, never ioredis' text), else unchanged.
 */
export function asUnavailable(error: unknown, retryAfterMs: number, what = 'Redis'): unknown {
  if (error instanceof UnavailableError || !isUnavailable(error)) return error;
  const timedOut = error instanceof Error && error.message.includes('Command timed out');
  const message = timedOut
    ? `${what} did not answer in time; retry after ${retryAfterMs} ms`
    : `${what} is unreachable; retry after ${retryAfterMs} ms`;
  return new UnavailableError(message, retryAfterMs, { cause: error });
}
