import { useEffect, useState } from 'react';
import type { ConnectionStatus } from '@titan-realtime/client';
import { useConnectionStatus } from '../live/connection-status-context.js';

/** Whole seconds until `retryAt` (never negative). */
export function secondsUntil(retryAt: number, now: number): number {
  return Math.max(0, Math.ceil((retryAt - now) / 1000));
}

/** The badge's words for a status at time `now` (ms epoch). */
export function connectionLabel(status: ConnectionStatus, now: number): string {
  switch (status.state) {
    case 'connecting':
      return 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'reconnecting': {
      const seconds = status.retryAt === null ? 0 : secondsUntil(status.retryAt, now);
      return seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…';
    }
    case 'offline':
      return 'Offline';
    case 'paused':
      return 'Paused';
    case 'auth-needed':
      return 'Token needed';
    case 'failed':
      return 'Disconnected';
    case 'closed':
      return 'Closed';
  }
}

/**
 * While counting down to `until` (ms epoch), re-renders just after each change of the whole seconds
 * left, and stops at 0.
 */
function useCountdownRenders(until: number | null): void {
  const [, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      const current = Date.now();
      setNow(current);
      const left = until - current;
      // Wake up just after the displayed number of seconds changes.
      if (left > 0) timer = setTimeout(tick, (left % 1000 || 1000) + 5);
    };
    tick();
    return () => clearTimeout(timer);
  }, [until]);
}

/** {@link ConnectionBadgeView} following the live connection. */
export function ConnectionBadge() {
  return <ConnectionBadgeView status={useConnectionStatus()} />;
}

/**
 * "Connected", "Reconnecting in 4 s", "Offline", "Paused" (a page hidden for long), "Token needed"…,
 * plus "via SSE" when the WebSocket could not be used. A polite live region: state changes are
 * announced; the seconds counting down are in a `timer` (not announced each second).
 */
export function ConnectionBadgeView({ status }: { status: ConnectionStatus }) {
  const retryAt = status.state === 'reconnecting' ? status.retryAt : null;
  useCountdownRenders(retryAt);
  const now = Date.now();
  const seconds = retryAt === null ? 0 : secondsUntil(retryAt, now);
  const detail =
    status.state === 'failed' ? [status.code, status.reason].filter((part) => part !== undefined && part !== '').join(' ') : '';
  return (
    <p className="connection-badge" data-state={status.state} role="status" aria-live="polite">
      <span className="connection-dot" aria-hidden="true" />
      {seconds > 0 ? (
        // role=timer is aria-live="off": the countdown is shown, not read out every second.
        <span>
          Reconnecting <span role="timer">in {seconds} s</span>
        </span>
      ) : (
        <span>{connectionLabel(status, now)}</span>
      )}
      {detail && <span className="connection-detail"> ({detail})</span>}
      {status.transport === 'sse' && <span className="connection-transport"> · via SSE</span>}
    </p>
  );
}
