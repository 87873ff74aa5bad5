/**
 * The WebSocket connection as an explicit state machine. graphql-ws events drive it (see
 * `urql-client.ts`); the status badge reads it through `useSyncExternalStore`.
 *
 * ```
 * connecting ──► connected ──► reconnecting ──► connected …
 *      │                            │
 *      └──────────► auth-needed / failed (terminal) ◄──┘
 * ```
 */
export type ConnectionState =
  /** First connect of this session is in progress. */
  | 'connecting'
  /** The server acknowledged the connection (`connection_ack`). */
  | 'connected'
  /** The socket closed for a retryable reason; graphql-ws is waiting or reconnecting. */
  | 'reconnecting'
  /** The server refused the token (4401 / 4403, or HTTP 401); a new token is needed. */
  | 'auth-needed'
  /** graphql-ws gave up on a fatal close code; reloading the page is the way out. */
  | 'failed';

/** The current state, with the close code and reason that led to it, if any. */
export interface ConnectionStatus {
  readonly state: ConnectionState;
  readonly code?: number;
  readonly reason?: string;
}

/** Emitted on every change. */
export interface ConnectionStatusChange {
  readonly oldState: ConnectionState;
  readonly newState: ConnectionState;
  readonly code?: number;
  readonly reason?: string;
}

export interface ConnectionStatusStore {
  /** Current status; the same object until the next change (safe for `useSyncExternalStore`). */
  getSnapshot(): ConnectionStatus;
  /** Listen to changes; returns the unsubscribe function. */
  subscribe(listener: (change: ConnectionStatusChange) => void): () => void;
  /** Move to `newState`. Ignored once in a terminal state, or when nothing would change. */
  setState(newState: ConnectionState, code?: number, reason?: string): void;
}

const TERMINAL: ReadonlySet<ConnectionState> = new Set(['auth-needed', 'failed']);

export function createConnectionStatus(initial: ConnectionState = 'connecting'): ConnectionStatusStore {
  let current: ConnectionStatus = { state: initial };
  const listeners = new Set<(change: ConnectionStatusChange) => void>();

  return {
    getSnapshot: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    setState(newState, code, reason) {
      const oldState = current.state;
      if (TERMINAL.has(oldState)) return;
      if (oldState === newState && current.code === code && current.reason === reason) return;
      current = { state: newState, code, reason };
      const change: ConnectionStatusChange = { oldState, newState, code, reason };
      for (const listener of [...listeners]) listener(change);
    },
  };
}
