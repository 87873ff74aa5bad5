import { useEffect, useState, useSyncExternalStore } from 'react';
import { Provider } from 'urql';
import type { TokenRequest, TokenStore } from '@titan-realtime/client';
import { ConnectionStatusProvider } from '../live/connection-status-context.js';
import { createDashboardSession, type DashboardSession, type DashboardSessionOptions } from '../urql-client.js';
import { Dashboard } from './Dashboard.js';
import { TokenForm } from './TokenForm.js';

export interface LiveSessionProps {
  /** The page's token; the session reads it at every (re)connect and asks through it for a new one. */
  tokens: TokenStore;
  /** Connection options (tests: a fake WebSocket, short timeouts). Read once, on mount. */
  options?: Omit<DashboardSessionOptions, 'tokens'>;
}

function notice(request: TokenRequest): string | undefined {
  if (request.reason !== 'refused') return undefined;
  const detail = [request.code, request.message].filter((part) => part !== undefined && part !== '').join(' ');
  return `The server refused the token${detail ? ` (${detail})` : ''}. Enter another one: live updates resume where they stopped.`;
}

/**
 * Owns the page's urql client and live connection (closed on unmount) and provides both, plus the
 * connection status, to the dashboard. When the server refuses the token and no new one can be had
 * without the user, the token form shows above the dashboard, which stays as it is meanwhile.
 */
export function LiveSession({ tokens, options }: LiveSessionProps) {
  const [session, setSession] = useState<DashboardSession | null>(null);
  const { request } = useSyncExternalStore(tokens.subscribe, tokens.getSnapshot);

  useEffect(() => {
    const created = createDashboardSession({ ...options, tokens });
    setSession(created);
    return () => created.dispose();
    // `options` is read on mount only: a new object each render must not reconnect.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tokens]);

  if (!session) return null;
  return (
    <ConnectionStatusProvider store={session.connection.status}>
      <Provider value={session.client}>
        {request && <TokenForm onSubmit={tokens.supply} notice={notice(request)} />}
        <Dashboard />
      </Provider>
    </ConnectionStatusProvider>
  );
}
