// @vitest-environment jsdom
import { CloseCode } from '../../src/transport/close-codes.js';
import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { canTransition, createConnectionStatusStore, type ConnectionState, type ConnectionStatusChange } from '@titan-realtime/client';
import { ConnectionStatusProvider, useConnectionStatus } from '../../client/src/live/connection-status-context.js';

const STATES: ConnectionState[] = ['connecting', 'connected', 'reconnecting', 'offline', 'paused', 'auth-needed', 'failed'];

describe('the connection state machine', () => {
  it('starts connecting over the WebSocket, with no retry time', () => {
    expect(createConnectionStatusStore().getSnapshot()).toEqual({ state: 'connecting', transport: 'websocket', retryAt: null });
  });

  it('walks connect → drop → wait → retry → connected, emitting each change with old and new state', () => {
    const store = createConnectionStatusStore();
    const changes: ConnectionStatusChange[] = [];
    store.subscribe((change) => changes.push(change));

    expect(store.setState('connected')).toBe(true);
    store.setState('reconnecting', { code: CloseCode.Abnormal, reason: '' });
    store.setState('reconnecting', { code: CloseCode.Abnormal, retryAt: 5_000 });
    store.setState('reconnecting', { code: CloseCode.Abnormal }); // the retry starts: no retry time any more
    store.setState('connected');

    expect(changes.map(({ oldState, newState, code, reason }) => ({ oldState, newState, code, reason }))).toEqual([
      { oldState: 'connecting', newState: 'connected', code: undefined, reason: undefined },
      { oldState: 'connected', newState: 'reconnecting', code: CloseCode.Abnormal, reason: undefined },
      { oldState: 'reconnecting', newState: 'reconnecting', code: CloseCode.Abnormal, reason: undefined },
      { oldState: 'reconnecting', newState: 'reconnecting', code: CloseCode.Abnormal, reason: undefined },
      { oldState: 'reconnecting', newState: 'connected', code: undefined, reason: undefined },
    ]);
    expect(changes.map((change) => change.status.retryAt)).toEqual([null, null, 5_000, null, null]);
    expect(store.getSnapshot()).toEqual({ state: 'connected', transport: 'websocket', retryAt: null });
  });

  it('keeps the transport once switched to SSE, and clears code and reason unless given again', () => {
    const store = createConnectionStatusStore();
    store.setState('connecting', { transport: 'sse', code: CloseCode.Abnormal, reason: 'blocked' });
    expect(store.getSnapshot()).toEqual({ state: 'connecting', transport: 'sse', retryAt: null, code: CloseCode.Abnormal, reason: 'blocked' });
    store.setState('connected');
    expect(store.getSnapshot()).toEqual({ state: 'connected', transport: 'sse', retryAt: null });
  });

  it('changes nothing, and emits nothing, when nothing would change', () => {
    const store = createConnectionStatusStore();
    const listener = vi.fn();
    store.subscribe(listener);
    store.setState('reconnecting', { code: CloseCode.Abnormal, retryAt: 10 });
    const before = store.getSnapshot();
    expect(store.setState('reconnecting', { code: CloseCode.Abnormal, retryAt: 10 })).toBe(false);
    expect(store.getSnapshot()).toBe(before);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('never goes back to connecting once connected, and treats failed as terminal', () => {
    expect(canTransition('connected', 'connecting')).toBe(false);
    for (const to of STATES) expect(canTransition('failed', to), `failed → ${to}`).toBe(false);
    const store = createConnectionStatusStore();
    store.setState('connected');
    expect(store.setState('connecting')).toBe(false);
    expect(store.getSnapshot().state).toBe('connected');
    store.setState('failed', { code: CloseCode.BadRequest, reason: 'Bad request' });
    for (const to of STATES) expect(store.setState(to)).toBe(false);
    expect(store.getSnapshot()).toMatchObject({ state: 'failed', code: CloseCode.BadRequest, reason: 'Bad request' });
  });

  it('leaves auth-needed and offline for any live state', () => {
    for (const from of ['auth-needed', 'offline'] as const) {
      for (const to of ['connecting', 'reconnecting', 'connected', 'failed'] as const) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(true);
      }
    }
  });

  it('pauses from any live state and comes back only through a new connection', () => {
    for (const from of ['connecting', 'connected', 'reconnecting', 'offline', 'auth-needed'] as const) {
      expect(canTransition(from, 'paused'), `${from} → paused`).toBe(true);
    }
    for (const to of ['reconnecting', 'connecting', 'offline', 'auth-needed', 'closed'] as const) {
      expect(canTransition('paused', to), `paused → ${to}`).toBe(true);
    }
    // No connection while paused: it can neither be connected nor fail until it reconnects.
    expect(canTransition('paused', 'connected')).toBe(false);
    expect(canTransition('paused', 'failed')).toBe(false);
    expect(canTransition('failed', 'paused')).toBe(false);
    expect(canTransition('closed', 'paused')).toBe(false);
  });

  it('stops calling a listener that unsubscribed', () => {
    const store = createConnectionStatusStore();
    const listener = vi.fn();
    const unsubscribe = store.subscribe(listener);
    unsubscribe();
    store.setState('connected');
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('useConnectionStatus', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  function Badge() {
    const status = useConnectionStatus();
    return (
      <p role="status">
        {status.state} {status.transport} {status.retryAt ?? '-'} {status.code ?? '-'}
      </p>
    );
  }

  it('follows the provided store', () => {
    const store = createConnectionStatusStore();
    render(
      <ConnectionStatusProvider store={store}>
        <Badge />
      </ConnectionStatusProvider>,
    );
    expect(screen.getByRole('status').textContent).toBe('connecting websocket - -');
    act(() => {
      store.setState('reconnecting', { code: CloseCode.GoingAway, retryAt: 1234 });
    });
    expect(screen.getByRole('status').textContent).toBe('reconnecting websocket 1234 1001');
  });

  it('reads "connecting" without a provider', () => {
    render(<Badge />);
    expect(screen.getByRole('status').textContent).toBe('connecting websocket - -');
  });
});
