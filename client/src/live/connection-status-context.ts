import { createConnectionStatusStore, type ConnectionStatus, type ConnectionStatusStore } from '@titan-realtime/client';
import { createContext, createElement, useContext, useSyncExternalStore, type ReactNode } from 'react';

/** The live connection's status store (`@titan-realtime/client`) for React: provided by `LiveSession`, read by the badge. */

/** Used when no session provides a store (a component rendered on its own, e.g. in a test). */
const DETACHED = createConnectionStatusStore();

/** Provided by `LiveSession`; tests can provide a store of their own. */
export const ConnectionStatusContext = createContext<ConnectionStatusStore>(DETACHED);

/** Provides `store` to {@link useConnectionStatus} below it. */
export function ConnectionStatusProvider({ store, children }: { store: ConnectionStatusStore; children?: ReactNode }) {
  return createElement(ConnectionStatusContext.Provider, { value: store }, children);
}

/** The live connection's status; re-renders on every change. */
export function useConnectionStatus(): ConnectionStatus {
  const store = useContext(ConnectionStatusContext);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
