import { useCallback, useEffect, useState } from 'react';
import { clearStoredToken, resolveStartupToken, storeToken } from './auth-token.js';
import { ConnectionStatusLine } from './components/ConnectionStatusLine.js';
import { LiveSession } from './components/LiveSession.js';
import { TokenForm } from './components/TokenForm.js';

type AuthState =
  | { readonly phase: 'starting' }
  | { readonly phase: 'needs-token'; readonly code?: number; readonly reason?: string; readonly rejected: boolean }
  | { readonly phase: 'ready'; readonly token: string };

/** Token first (dev token, stored token or the form), then the live session built on it. */
export function App() {
  const [auth, setAuth] = useState<AuthState>({ phase: 'starting' });

  useEffect(() => {
    const controller = new AbortController();
    resolveStartupToken(controller.signal).then(
      (token) => setAuth(token ? { phase: 'ready', token } : { phase: 'needs-token', rejected: false }),
      () => {}, // aborted by unmount
    );
    return () => controller.abort();
  }, []);

  const handleToken = useCallback((token: string) => {
    storeToken(token);
    setAuth({ phase: 'ready', token });
  }, []);

  const handleAuthFailure = useCallback((code?: number, reason?: string) => {
    clearStoredToken();
    setAuth({ phase: 'needs-token', code, reason, rejected: true });
  }, []);

  return (
    <main>
      <h1>TITAN Realtime</h1>
      {auth.phase === 'starting' && <p role="status">Starting…</p>}
      {auth.phase === 'needs-token' && (
        <>
          <ConnectionStatusLine status={{ state: 'auth-needed', code: auth.code, reason: auth.reason }} />
          <TokenForm
            onSubmit={handleToken}
            notice={auth.rejected ? 'The server refused the token. Please enter another one.' : undefined}
          />
        </>
      )}
      {auth.phase === 'ready' && (
        <LiveSession key={auth.token} token={auth.token} onAuthFailure={handleAuthFailure} />
      )}
    </main>
  );
}
