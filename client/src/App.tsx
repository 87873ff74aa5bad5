import { useEffect, useState, useSyncExternalStore } from 'react';
import { LiveSession } from './components/LiveSession.js';
import { TokenForm } from './components/TokenForm.js';
import { createTokenStore, type TokenStore } from '@titan-realtime/client';
import { sessionTokenStorage } from './token-storage.js';
import type { DashboardSessionOptions } from './urql-client.js';

export interface AppProps {
  /** The page's token store; tests pass their own. @default a store on `/dev/token` and sessionStorage */
  tokens?: TokenStore;
  /** Connection options for the session (tests: a fake WebSocket). */
  sessionOptions?: Omit<DashboardSessionOptions, 'tokens'>;
}

/**
 * Token first (the dev token, a token kept for this tab, or the form), then the live session, which
 * stays mounted for the rest of the page: a later refusal asks for a new token inside the session,
 * and its subscriptions resume where they stopped.
 */
export function App({ tokens: given, sessionOptions }: AppProps) {
  const [tokens] = useState(() => given ?? createTokenStore({ storage: sessionTokenStorage }));
  const { token, request } = useSyncExternalStore(tokens.subscribe, tokens.getSnapshot);

  useEffect(() => {
    void tokens.acquire();
  }, [tokens]);

  if (token !== null) return <LiveSession tokens={tokens} options={sessionOptions} />;
  return (
    <main className="app-start">
      <h1>TITAN Realtime</h1>
      {request ? <TokenForm onSubmit={tokens.supply} /> : <p role="status">Starting…</p>}
    </main>
  );
}
