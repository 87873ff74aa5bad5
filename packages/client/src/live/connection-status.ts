/**
 * The live connection as an explicit state machine. The session (`live-connection.ts`) drives it
 * from graphql-ws / SSE events; a screen's status badge and a service's logs read it.
 *
 * ```
 *  connecting ──► connected ◄──────────────┐
 *      │              │                    │
 *      ▼              ▼                    │
 *  reconnecting ◄──► offline ──────────────┤   (any of these) ──► auth-needed ──► reconnecting …
 *      └───────────────────────────────────┘   (any of these) ──► failed ──► closed (close())
 *                                              (any of these) ──► paused ──► reconnecting / offline …
 * ```
 */
export type ConnectionState =
  /** The first connection of this page is being made. */
  | 'connecting'
  /** The server acknowledged the connection (WebSocket `connection_ack`, or an SSE stream is open). */
  | 'connected'
  /** The connection dropped for a retryable reason; waiting until `retryAt`, or trying now when `retryAt` is null. */
  | 'reconnecting'
  /**
   * The browser reports no network (an `offline` event, `navigator.onLine` false): shown at once, and
   * the connection is dropped (it cannot carry anything). Retries go on at the backoff's pace; the
   * `online` event makes the next one happen now.
   */
  | 'offline'
  /**
   * The page has been hidden for longer than the grace period (`hiddenGraceMs`): the connection is
   * closed to spare the battery and the data plan. When the page is visible again it reconnects, and
   * every subscription resumes after its cursor.
   */
  | 'paused'
  /** The server refused the token (4401 / 4403 / HTTP 401) and the user has to enter another one. */
  | 'auth-needed'
  /** A close that no retry can fix (e.g. 4400 malformed message, 4429 too many connections); reload the page. */
  | 'failed'
  /** Closed by its owner (`close()`): nothing reconnects. */
  | 'closed';

export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** How subscriptions travel: graphql-ws over a WebSocket, or SSE when WebSockets cannot connect. */
  readonly transport: 'websocket' | 'sse';
  /** When the next retry happens (ms epoch), while reconnecting (or offline); null otherwise (and while paused). */
  readonly retryAt: number | null;
  /** The close code that led to this state, if any (e.g. 1006, 1001, 4008, 4401). */
  readonly code?: number;
  /** The close reason or error message that led to this state, if any. */
  readonly reason?: string;
}

/** Emitted on every change, including same-state changes of `retryAt` or `transport`. */
export interface ConnectionStatusChange {
  readonly oldState: ConnectionState;
  readonly newState: ConnectionState;
  readonly code?: number;
  readonly reason?: string;
  /** The status after the change. */
  readonly status: ConnectionStatus;
}

/** What may accompany a new state; anything left out is cleared, except `transport` (kept). */
export interface ConnectionStatusDetail {
  readonly code?: number;
  readonly reason?: string;
  readonly retryAt?: number | null;
  readonly transport?: ConnectionStatus['transport'];
}

export interface ConnectionStatusStore {
  /** Current status; the same object until the next change (safe for `useSyncExternalStore`). */
  getSnapshot(): ConnectionStatus;
  /** Listens to changes; returns the unsubscribe function. */
  subscribe(listener: (change: ConnectionStatusChange) => void): () => void;
  /**
   * The one way to change state. Returns false, and changes nothing, for a transition the machine
   * does not allow (see {@link canTransition}) or when nothing would change.
   */
  setState(newState: ConnectionState, detail?: ConnectionStatusDetail): boolean;
}

/**
 * Allowed transitions. `closed` is terminal, and `failed` leads only there. A dropped connection is `reconnecting`, never
 * `connecting` again (that name is kept for the page's first connection; switching to SSE before
 * any connection succeeded is the one way back to it). Same-state moves update details (`retryAt`,
 * `transport`, code/reason).
 */
const TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  connecting: ['connecting', 'connected', 'reconnecting', 'offline', 'paused', 'auth-needed', 'failed', 'closed'],
  connected: ['connected', 'reconnecting', 'offline', 'paused', 'auth-needed', 'failed', 'closed'],
  reconnecting: ['reconnecting', 'connecting', 'connected', 'offline', 'paused', 'auth-needed', 'failed', 'closed'],
  offline: ['offline', 'connecting', 'reconnecting', 'connected', 'paused', 'auth-needed', 'failed', 'closed'],
  paused: ['paused', 'connecting', 'reconnecting', 'offline', 'auth-needed', 'closed'],
  'auth-needed': ['auth-needed', 'connecting', 'reconnecting', 'connected', 'offline', 'paused', 'failed', 'closed'],
  failed: ['closed'],
  closed: [],
};

export function canTransition(from: ConnectionState, to: ConnectionState): boolean {
  return TRANSITIONS[from].includes(to);
}

function sameStatus(a: ConnectionStatus, b: ConnectionStatus): boolean {
  return (
    a.state === b.state &&
    a.transport === b.transport &&
    a.retryAt === b.retryAt &&
    a.code === b.code &&
    a.reason === b.reason
  );
}

export function createConnectionStatusStore(
  initial: Partial<ConnectionStatus> = {},
): ConnectionStatusStore {
  let current: ConnectionStatus = { state: 'connecting', transport: 'websocket', retryAt: null, ...initial };
  const listeners = new Set<(change: ConnectionStatusChange) => void>();

  return {
    getSnapshot: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    setState(newState, detail = {}) {
      const oldState = current.state;
      if (!canTransition(oldState, newState)) return false;
      const next: ConnectionStatus = {
        state: newState,
        transport: detail.transport ?? current.transport,
        retryAt: detail.retryAt ?? null,
        ...(detail.code !== undefined && { code: detail.code }),
        ...(detail.reason !== undefined && detail.reason !== '' && { reason: detail.reason }),
      };
      if (sameStatus(current, next)) return false;
      current = next;
      const change: ConnectionStatusChange = { oldState, newState, code: next.code, reason: next.reason, status: next };
      for (const listener of [...listeners]) listener(change);
      return true;
    },
  };
}
