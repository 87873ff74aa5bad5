import { useEffect, useState } from 'react';
import { Provider } from 'urql';
import { createTitanClient, type TitanSession } from '../urql-client.js';
import { LiveConnectionStatus } from './ConnectionStatusLine.js';
import { PriceBoard } from './PriceBoard.js';

export interface LiveSessionProps {
  token: string;
  /** The server refused `token`; `code`/`reason` come from the close frame when there was one. */
  onAuthFailure(code?: number, reason?: string): void;
}

/** Owns one authenticated urql + graphql-ws client pair for `token`; closes it on unmount. */
export function LiveSession({ token, onAuthFailure }: LiveSessionProps) {
  const [session, setSession] = useState<TitanSession | null>(null);

  useEffect(() => {
    const created = createTitanClient({ token, onAuthFailure });
    setSession(created);
    return () => created.dispose();
  }, [token, onAuthFailure]);

  if (!session) return null;
  return (
    <Provider value={session.client}>
      <LiveConnectionStatus store={session.status} />
      <PriceBoard />
    </Provider>
  );
}
