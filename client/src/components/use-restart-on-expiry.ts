import { useEffect } from 'react';
import type { CombinedError } from 'urql';
import { isCursorExpired } from './errors.js';

/**
 * When a subscription ends with `CURSOR_EXPIRED`, calls `restart` once for that error: the component
 * fetches a fresh snapshot and subscribes after its cursor (README, "Delivery guarantees").
 */
export function useRestartOnCursorExpired(error: CombinedError | undefined, restart: () => void): void {
  useEffect(() => {
    if (isCursorExpired(error)) restart();
    // Only a new error should restart; `restart` may be a new function on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [error]);
}
