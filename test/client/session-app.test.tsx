// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../client/src/App.js';
import { useConnectionStatus } from '../../client/src/live/connection-status-context.js';
import { createTokenStore } from '@titan-realtime/client';
import { FakeSocket } from '../support/fake-graphql-ws-socket.js';

// The dashboard has its own tests; here a stand-in shows the connection status it would read.
vi.mock('../../client/src/components/Dashboard.js', () => ({
  Dashboard: function Dashboard() {
    const status = useConnectionStatus();
    return <p data-testid="dashboard">{`${status.state}${status.code ? ` ${status.code}` : ''}`}</p>;
  },
}));

/** The `connection_init` payloads a socket sent. */
const inits = (socket: FakeSocket | undefined) =>
  socket?.sent.filter((message) => message.type === 'connection_init').map((message) => message.payload);

const options = { ws: { webSocketImpl: FakeSocket as unknown as typeof WebSocket } };

function userTokens() {
  let stored: string | null = null;
  return createTokenStore({
    fetchDevToken: async () => null,
    storage: { read: () => stored, write: (token) => void (stored = token), clear: () => void (stored = null) },
  });
}

afterEach(() => {
  cleanup();
  FakeSocket.all = [];
});

describe('App', () => {
  it('asks for a token when there is no dev token, then connects with it', async () => {
    render(<App tokens={userTokens()} sessionOptions={options} />);
    const field = await screen.findByLabelText('Access token');
    fireEvent.change(field, { target: { value: 'Bearer U1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await vi.waitFor(() => expect(screen.getByTestId('dashboard').textContent).toBe('connected'));
    expect(inits(FakeSocket.all[0])).toEqual([{ authorization: 'Bearer U1' }]);
    expect(screen.queryByLabelText('Access token')).toBeNull();
  });

  it('starts at once with the dev token', async () => {
    const tokens = createTokenStore({ fetchDevToken: async () => 'D1', storage: { read: () => null, write: () => {}, clear: () => {} } });
    render(<App tokens={tokens} sessionOptions={options} />);
    await vi.waitFor(() => expect(screen.getByTestId('dashboard').textContent).toBe('connected'));
    expect(inits(FakeSocket.all[0])).toEqual([{ authorization: 'Bearer D1' }]);
  });

  it('asks again above the dashboard when the server refuses the token, and reconnects with the new one', async () => {
    const tokens = userTokens();
    tokens.supply('U1');
    render(<App tokens={tokens} sessionOptions={options} />);
    await vi.waitFor(() => expect(screen.getByTestId('dashboard').textContent).toBe('connected'));

    act(() => FakeSocket.all[0]?.drop(4401, 'Unauthorized: token expired'));
    const notice = await screen.findByRole('alert');
    expect(notice.textContent).toMatch(/refused the token \(4401 Unauthorized: token expired\)/);
    expect(screen.getByTestId('dashboard').textContent).toBe('auth-needed 4401'); // still mounted

    fireEvent.change(screen.getByLabelText('Access token'), { target: { value: 'U2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await vi.waitFor(() => expect(screen.getByTestId('dashboard').textContent).toBe('connected'));
    expect(inits(FakeSocket.all.at(-1))).toEqual([{ authorization: 'Bearer U2' }]);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
