import { useSyncExternalStore } from 'react';
import type { ConnectionState, ConnectionStatus, ConnectionStatusStore } from '../connection-status.js';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  'auth-needed': 'Auth needed',
  failed: 'Disconnected',
};

/** One polite live line: "Connection: Reconnecting… (1006)". The dot is decoration; the text carries the state. */
export function ConnectionStatusLine({ status }: { status: ConnectionStatus }) {
  const detail = [status.code, status.reason].filter((part) => part !== undefined && part !== '').join(' ');
  return (
    <p className="connection-status" data-state={status.state} role="status">
      <span className="connection-dot" aria-hidden="true" />
      Connection: <strong>{LABELS[status.state]}</strong>
      {detail && <span className="connection-detail"> ({detail})</span>}
    </p>
  );
}

/** {@link ConnectionStatusLine} following a session's status store. */
export function LiveConnectionStatus({ store }: { store: ConnectionStatusStore }) {
  const status = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return <ConnectionStatusLine status={status} />;
}
