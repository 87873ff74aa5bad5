// @vitest-environment jsdom
import { CloseCode } from '../../src/transport/close-codes.js';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { CombinedError, useSubscription } from 'urql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Dashboard } from '../../client/src/components/Dashboard.js';
import { Backtests } from '../../client/src/components/Backtests.js';
import { ConnectionBadgeView } from '../../client/src/components/ConnectionBadge.js';
import { PriceBoard } from '../../client/src/components/PriceBoard.js';
import { SignalsFeed } from '../../client/src/components/SignalsFeed.js';
import type { ConnectionStatus } from '@titan-realtime/client';
import { fakeUrql, type Reply, type Variables } from './fake-urql.js';

// Most tests render every event at once (urql's own hook); `frames.real` switches to the data layer's
// frame-batched hook for the tests that check batching.
const frames = vi.hoisted(() => ({ real: false }));
vi.mock('../../client/src/live/use-frame-batched-subscription.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../client/src/live/use-frame-batched-subscription.js')>();
  return {
    useFrameBatchedSubscription: ((args, reducer) =>
      frames.real
        ? actual.useFrameBatchedSubscription(args, reducer)
        : useSubscription(args, reducer)) as typeof actual.useFrameBatchedSubscription,
  };
});

/* ------------------------------------------------------------------------------------------------ */
/* Fixtures                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

const tick = (symbol: string, price: number, cursor: string, timestamp = '2026-11-26T16:30:00.000Z') => ({
  __typename: 'PriceTick',
  symbol,
  price,
  bid: price - 1,
  ask: price + 1,
  timestamp,
  cursor,
});

const signal = (id: string, overrides: Record<string, unknown> = {}) => ({
  __typename: 'Signal',
  id,
  strategyId: 'ma-crossover',
  symbol: 'BTC-USD',
  side: 'BUY',
  price: 65_000,
  confidence: 0.73,
  reason: `reason ${id}`,
  timestamp: `2026-11-26T16:30:0${id.replace(/\D/g, '')}.000Z`,
  cursor: `c-${id}`,
  ...overrides,
});

const choices = {
  data: {
    strategies: [
      { __typename: 'Strategy', id: 'ma-crossover', name: 'SMA 10/30 crossover', description: 'Trend' },
      { __typename: 'Strategy', id: 'rsi-reversion', name: 'RSI(14) mean reversion', description: 'Reversion' },
    ],
    symbols: ['ETH-USD', 'BTC-USD'],
  },
};

const result = {
  __typename: 'BacktestResult',
  totalReturn: 0.12,
  maxDrawdown: 0.08,
  trades: 42,
  winRate: 0.55,
  sharpe: 1.234,
  equityCurve: [1, 1.02, 0.97, 1.05, 1.12],
};

const backtest = (id: string, overrides: Record<string, unknown> = {}) => ({
  __typename: 'Backtest',
  id,
  strategyId: 'ma-crossover',
  symbol: 'BTC-USD',
  status: 'RUNNING',
  progress: 0.1,
  totalBars: 50_000,
  message: null,
  createdAt: '2026-11-26T16:00:00.000Z',
  cursor: `cursor-${id}`,
  result: null,
  ...overrides,
});

const progressEvent = (id: string, overrides: Record<string, unknown> = {}) => ({
  data: {
    backtestProgress: {
      __typename: 'BacktestProgress',
      backtestId: id,
      status: 'RUNNING',
      progress: 0.5,
      processedBars: 25_000,
      totalBars: 50_000,
      equity: 1.01,
      message: null,
      timestamp: '2026-11-26T16:00:05.000Z',
      cursor: `p-${Math.random()}`,
      result: null,
      ...overrides,
    },
  },
});

const cell = (row: HTMLElement, column: number) => within(row).getAllByRole('cell')[column - 1]!; // th is column 0

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

/* ------------------------------------------------------------------------------------------------ */

describe('PriceBoard', () => {
  const snapshot = {
    data: { priceSnapshot: { __typename: 'PriceSnapshot', ticks: [tick('ETH-USD', 150, 'c-eth'), tick('BTC-USD', 200, 'c-btc')], cursor: 'c-snap' } },
  };

  it('renders the snapshot, then follows ticks after its cursor and computes the session change', () => {
    const urql = fakeUrql({ queries: { PriceBoardSnapshot: snapshot } });
    urql.render(<PriceBoard />);

    const table = screen.getByRole('table', { name: /live prices/i });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => within(row).getByRole('rowheader').textContent)).toEqual(['BTC-USD', 'ETH-USD']);
    expect(within(table).getByRole('columnheader', { name: 'Chg (session)' })).toBeTruthy();
    const btc = () => within(table).getByRole('row', { name: /BTC-USD/ });
    expect(cell(btc(), 1).textContent).toBe('200.00');
    expect(cell(btc(), 2).textContent).toBe('199.00');
    expect(cell(btc(), 3).textContent).toBe('201.00');
    expect(cell(btc(), 4).textContent).toBe('0.00 (0.00%)');

    expect(urql.callsOf('subscription', 'PriceBoardTicks').map((call) => call.variables)).toEqual([
      { symbols: ['BTC-USD', 'ETH-USD'], after: 'c-snap', maxRate: null }, // every tick on a wide screen
    ]);

    urql.push('PriceBoardTicks', { data: { price: tick('BTC-USD', 220, 'c-1') } });
    expect(cell(btc(), 1).textContent).toContain('220.00');
    expect(cell(btc(), 1).className).toContain('flash-up');
    expect(cell(btc(), 4).textContent).toBe('+20.00 (+10.00%)');
    expect(within(btc()).getByRole('img').getAttribute('aria-label')).toMatch(/last 2 prices, from 200\.00 to 220\.00/);

    // A tick delivered twice is applied once.
    urql.push('PriceBoardTicks', { data: { price: tick('BTC-USD', 220, 'c-1') } });
    expect(within(btc()).getByRole('img').getAttribute('aria-label')).toMatch(/last 2 prices/);

    urql.push('PriceBoardTicks', { data: { price: tick('BTC-USD', 190, 'c-2') } });
    expect(cell(btc(), 1).className).toContain('flash-down');
    expect(cell(btc(), 4).textContent).toBe('-10.00 (-5.00%)');
    expect(within(btc()).getByRole('img').getAttribute('aria-label')).toMatch(/last 3 prices, from 200\.00 to 190\.00/);
    // The other row did not move.
    expect(cell(within(table).getByRole('row', { name: /ETH-USD/ }), 4).textContent).toBe('0.00 (0.00%)');
  });

  it('asks for one update a second per symbol on a phone-sized screen, and with Save-Data', () => {
    const phone = (query: string) => ({ matches: query === '(max-width: 640px)' }) as MediaQueryList;
    vi.stubGlobal('matchMedia', phone);
    try {
      const urql = fakeUrql({ queries: { PriceBoardSnapshot: snapshot } });
      urql.render(<PriceBoard />);
      expect(urql.callsOf('subscription', 'PriceBoardTicks').at(-1)?.variables).toMatchObject({ maxRate: 1 });
      cleanup();
      vi.stubGlobal('matchMedia', () => ({ matches: false }) as MediaQueryList);
      Object.defineProperty(navigator, 'connection', { value: { saveData: true }, configurable: true });
      const saver = fakeUrql({ queries: { PriceBoardSnapshot: snapshot } });
      saver.render(<PriceBoard />);
      expect(saver.callsOf('subscription', 'PriceBoardTicks').at(-1)?.variables).toMatchObject({ maxRate: 1 });
    } finally {
      vi.unstubAllGlobals();
      Reflect.deleteProperty(navigator, 'connection');
    }
  });

  it('keeps the sparkline to the last 60 prices', () => {
    const urql = fakeUrql({ queries: { PriceBoardSnapshot: snapshot } });
    urql.render(<PriceBoard />);
    for (let i = 1; i <= 70; i++) urql.push('PriceBoardTicks', { data: { price: tick('BTC-USD', 200 + i, `c-${i}`) } });
    const row = screen.getByRole('row', { name: /BTC-USD/ });
    expect(within(row).getByRole('img').getAttribute('aria-label')).toMatch(/last 60 prices, from 211\.00 to 270\.00/);
    expect(within(row).getByRole('img').querySelector('polyline')?.getAttribute('points')?.split(' ')).toHaveLength(60);
    // The session open stays the first price seen.
    expect(cell(row, 4).textContent).toBe('+70.00 (+35.00%)');
  });

  it('refetches the snapshot and resubscribes after its new cursor on CURSOR_EXPIRED, keeping the session open', () => {
    let cursor = 'c-snap';
    const urql = fakeUrql({
      queries: {
        PriceBoardSnapshot: () => ({ data: { priceSnapshot: { ...snapshot.data.priceSnapshot, ticks: [tick('BTC-USD', cursor === 'c-snap' ? 100 : 120, `t-${cursor}`)], cursor } } }),
      },
    });
    urql.render(<PriceBoard />);
    cursor = 'c-fresh';
    urql.push('PriceBoardTicks', {
      error: new CombinedError({ graphQLErrors: [{ message: 'expired', extensions: { code: 'CURSOR_EXPIRED' } }] }),
    });
    expect(urql.callsOf('query', 'PriceBoardSnapshot').at(-1)?.context.requestPolicy).toBe('network-only');
    expect(urql.callsOf('subscription', 'PriceBoardTicks').at(-1)?.variables).toEqual({ symbols: ['BTC-USD'], after: 'c-fresh', maxRate: null });
    const row = screen.getByRole('row', { name: /BTC-USD/ });
    expect(cell(row, 1).textContent).toContain('120.00');
    expect(cell(row, 4).textContent).toBe('+20.00 (+20.00%)');
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('with the frame-batched hook', () => {
  beforeEach(() => {
    frames.real = true;
  });
  afterEach(() => {
    frames.real = false;
  });
  const nextFrame = () => act(() => new Promise<void>((resolve) => requestAnimationFrame(() => resolve())));

  it('folds a burst of ticks into one render on the next frame, losing none', async () => {
    const urql = fakeUrql({
      queries: { PriceBoardSnapshot: { data: { priceSnapshot: { ticks: [tick('BTC-USD', 200, 'c-btc')], cursor: 'c-snap' } } } },
    });
    urql.render(<PriceBoard />);
    await nextFrame();
    expect(urql.callsOf('subscription', 'PriceBoardTicks').map((call) => call.variables)).toEqual([{ symbols: ['BTC-USD'], after: 'c-snap', maxRate: null }]);
    for (const [price, cursor] of [[201, 'c-1'], [202, 'c-2'], [203, 'c-3']] as const) {
      urql.push('PriceBoardTicks', { data: { price: tick('BTC-USD', price, cursor) } });
    }
    const row = () => screen.getByRole('row', { name: /BTC-USD/ });
    expect(cell(row(), 1).textContent).toBe('200.00'); // not yet: waits for the frame
    await nextFrame();
    expect(cell(row(), 1).textContent).toContain('203.00');
    expect(within(row()).getByRole('img').getAttribute('aria-label')).toMatch(/last 4 prices, from 200\.00 to 203\.00/);
  });

  it('keeps the signals shown when the subscription ends with an error, and restarts on CURSOR_EXPIRED', async () => {
    let cursor = 'sig-1';
    const urql = fakeUrql({
      queries: {
        DashboardChoices: choices,
        SignalsSnapshot: () => ({ data: { signalSnapshot: { signals: cursor === 'sig-1' ? [signal('s1')] : [signal('s3'), signal('s1')], cursor } } }),
      },
    });
    urql.render(<SignalsFeed />);
    await nextFrame();
    urql.push('SignalsLive', { data: { signal: signal('s2') } });
    await nextFrame();
    cursor = 'sig-2';
    urql.push('SignalsLive', { error: new CombinedError({ graphQLErrors: [{ message: 'gone', extensions: { code: 'CURSOR_EXPIRED' } }] }) });
    await nextFrame();
    await nextFrame();
    expect(urql.callsOf('subscription', 'SignalsLive').at(-1)?.variables).toMatchObject({ after: 'sig-2' });
    expect(screen.getAllByTestId('signal-row').map((row) => within(row).getAllByRole('cell')[6]!.textContent)).toEqual([
      'reason s3',
      'reason s2',
      'reason s1',
    ]);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('SignalsFeed', () => {
  const snapshots: Record<string, Reply> = {
    all: { data: { signalSnapshot: { __typename: 'SignalSnapshot', signals: [signal('s2'), signal('s1', { side: 'SELL' })], cursor: 'sig-all' } } },
    rsi: { data: { signalSnapshot: { __typename: 'SignalSnapshot', signals: [signal('s4', { strategyId: 'rsi-reversion' })], cursor: 'sig-rsi' } } },
  };
  const answers = {
    queries: {
      DashboardChoices: choices,
      SignalsSnapshot: (variables: Variables) => (variables.strategyId === 'rsi-reversion' ? snapshots.rsi! : snapshots.all!),
    },
  };
  const reasons = () => screen.getAllByTestId('signal-row').map((row) => within(row).getAllByRole('cell')[6]!.textContent);

  it('shows the snapshot newest first, puts live signals on top and drops one seen twice', () => {
    const urql = fakeUrql(answers);
    urql.render(<SignalsFeed />);
    expect(screen.getByRole('heading', { name: 'Signals' })).toBeTruthy();
    expect(reasons()).toEqual(['reason s2', 'reason s1']);
    expect(urql.callsOf('query', 'SignalsSnapshot')[0]?.variables).toEqual({ strategyId: null, symbol: null, last: 200 });
    expect(urql.callsOf('subscription', 'SignalsLive')[0]?.variables).toEqual({ strategyIds: null, symbols: null, after: 'sig-all' });

    urql.push('SignalsLive', { data: { signal: signal('s3') } });
    urql.push('SignalsLive', { data: { signal: signal('s3') } });
    expect(reasons()).toEqual(['reason s3', 'reason s2', 'reason s1']);

    const [newest, , oldest] = screen.getAllByTestId('signal-row');
    expect(within(newest!).getByText('BUY')).toBeTruthy();
    expect(within(oldest!).getByText('SELL')).toBeTruthy();
    expect(within(newest!).getByText('73%')).toBeTruthy();
    expect(within(newest!).getByText('SMA 10/30 crossover')).toBeTruthy();
    expect(newest!.querySelector('time')?.getAttribute('datetime')).toBe('2026-11-26T16:30:03.000Z');
  });

  it('refilters with a fresh snapshot and a new subscription', () => {
    const urql = fakeUrql(answers);
    urql.render(<SignalsFeed />);
    const source = screen.getByLabelText('Source');
    expect(within(source).getAllByRole('option').map((option) => option.textContent)).toEqual([
      'All strategies',
      'SMA 10/30 crossover',
      'RSI(14) mean reversion',
    ]);
    expect(within(screen.getByLabelText('Instrument')).getAllByRole('option').map((option) => option.textContent)).toEqual([
      'All symbols',
      'BTC-USD',
      'ETH-USD',
    ]);

    fireEvent.change(source, { target: { value: 'rsi-reversion' } });
    expect(urql.callsOf('query', 'SignalsSnapshot').at(-1)?.variables).toEqual({ strategyId: 'rsi-reversion', symbol: null, last: 200 });
    expect(urql.callsOf('subscription', 'SignalsLive').at(-1)?.variables).toEqual({
      strategyIds: ['rsi-reversion'],
      symbols: null,
      after: 'sig-rsi',
    });
    expect(reasons()).toEqual(['reason s4']);

    fireEvent.change(screen.getByLabelText('Instrument'), { target: { value: 'ETH-USD' } });
    expect(urql.callsOf('query', 'SignalsSnapshot').at(-1)?.variables).toEqual({ strategyId: 'rsi-reversion', symbol: 'ETH-USD', last: 200 });
    expect(urql.callsOf('subscription', 'SignalsLive').at(-1)?.variables).toMatchObject({ strategyIds: ['rsi-reversion'], symbols: ['ETH-USD'] });
  });

  it('keeps at most 200 signals', () => {
    const urql = fakeUrql(answers);
    urql.render(<SignalsFeed />);
    const live = Array.from({ length: 205 }, (_, i) => ({ data: { signal: signal(`s${i + 10}`, { timestamp: '2026-11-26T17:00:00.000Z' }) } }));
    urql.push('SignalsLive', ...live);
    expect(screen.getAllByTestId('signal-row')).toHaveLength(200);
    expect(reasons()[0]).toBe('reason s214');
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('Backtests', () => {
  const section = () => within(screen.getByRole('region', { name: 'Backtests' }));
  const started = backtest('new-1', { status: 'QUEUED', progress: 0, strategyId: 'rsi-reversion', symbol: 'ETH-USD', totalBars: 6000, createdAt: '2026-11-26T17:00:00.000Z', cursor: null });

  it('submits the form with the chosen variables and shows the new backtest on top at once', async () => {
    const urql = fakeUrql({
      queries: { DashboardChoices: choices, BacktestList: { data: { backtests: [backtest('old-1', { status: 'COMPLETED', progress: 1, result })] } } },
      mutations: { StartBacktest: { data: { startBacktest: started } } },
    });
    urql.render(<Backtests />);
    expect((section().getByLabelText('Bars') as HTMLInputElement).value).toBe('50000');

    fireEvent.change(section().getByLabelText('Strategy'), { target: { value: 'rsi-reversion' } });
    fireEvent.change(section().getByLabelText('Symbol'), { target: { value: 'ETH-USD' } });
    fireEvent.change(section().getByLabelText('Bars'), { target: { value: '6000' } });
    await act(async () => fireEvent.click(section().getByRole('button', { name: 'Start backtest' })));

    expect(urql.callsOf('mutation', 'StartBacktest').map((call) => call.variables)).toEqual([
      { input: { strategyId: 'rsi-reversion', symbol: 'ETH-USD', bars: 6000 } },
    ]);
    const cards = document.querySelectorAll('[data-testid^="backtest-"]');
    expect([...cards].map((card) => card.getAttribute('data-testid'))).toEqual(['backtest-new-1', 'backtest-old-1']);
    const card = within(screen.getByTestId('backtest-new-1'));
    expect(card.getByText('QUEUED')).toBeTruthy();
    expect(card.getByRole('heading', { name: 'RSI(14) mean reversion · ETH-USD' })).toBeTruthy();
    expect(card.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    // Followed from its current state (it has no cursor yet).
    expect(urql.callsOf('subscription', 'BacktestProgressUpdates').map((call) => call.variables)).toEqual([{ id: 'new-1', after: null }]);
  });

  it('defaults to the first strategy and symbol', async () => {
    const urql = fakeUrql({
      queries: { DashboardChoices: choices, BacktestList: { data: { backtests: [] } } },
      mutations: { StartBacktest: { data: { startBacktest: started } } },
    });
    urql.render(<Backtests />);
    await act(async () => fireEvent.click(section().getByRole('button', { name: 'Start backtest' })));
    expect(urql.callsOf('mutation', 'StartBacktest')[0]?.variables).toEqual({ input: { strategyId: 'ma-crossover', symbol: 'BTC-USD', bars: 50_000 } });
  });

  it('refuses bars outside 100..1,000,000 before sending, with a message on the field', async () => {
    const urql = fakeUrql({ queries: { DashboardChoices: choices, BacktestList: { data: { backtests: [] } } } });
    urql.render(<Backtests />);
    for (const bad of ['50', '1000001', '12.5', '']) {
      fireEvent.change(section().getByLabelText('Bars'), { target: { value: bad } });
      await act(async () => fireEvent.click(section().getByRole('button', { name: 'Start backtest' })));
      const bars = section().getByLabelText('Bars');
      expect(bars.getAttribute('aria-invalid'), bad).toBe('true');
      expect(bars.getAttribute('aria-describedby')?.split(' ').map((id) => document.getElementById(id)?.textContent)).toContain(
        'Bars must be a whole number from 100 to 1,000,000.',
      );
      expect(document.activeElement).toBe(bars);
    }
    expect(urql.callsOf('mutation', 'StartBacktest')).toEqual([]);
  });

  it("shows the server's message on BAD_USER_INPUT", async () => {
    fakeUrql({
      queries: { DashboardChoices: choices, BacktestList: { data: { backtests: [] } } },
      mutations: {
        StartBacktest: {
          error: new CombinedError({ graphQLErrors: [{ message: 'Unknown symbol "BTC-USD" for this strategy.', extensions: { code: 'BAD_USER_INPUT' } }] }),
        },
      },
    }).render(<Backtests />);
    await act(async () => fireEvent.click(section().getByRole('button', { name: 'Start backtest' })));
    expect(section().getByRole('alert').textContent).toBe('Unknown symbol "BTC-USD" for this strategy.');
    expect(document.querySelectorAll('[data-testid^="backtest-"]')).toHaveLength(0);
  });

  it('shows the results and an SVG equity curve of a completed backtest, without subscribing', () => {
    const urql = fakeUrql({
      queries: { DashboardChoices: choices, BacktestList: { data: { backtests: [backtest('done', { status: 'COMPLETED', progress: 1, result })] } } },
    });
    urql.render(<Backtests />);
    const card = screen.getByTestId('backtest-done');
    const text = card.textContent ?? '';
    expect(text).toContain('COMPLETED');
    for (const [label, value] of [
      ['Total return', '+12.00%'],
      ['Max drawdown', '-8.00%'],
      ['Trades', '42'],
      ['Win rate', '55.00%'],
      ['Sharpe', '1.23'],
    ]) {
      const term = within(card).getByText(label!);
      expect(term.nextElementSibling?.textContent, label).toBe(value);
    }
    const chart = within(card).getByRole('img', { name: /equity curve, 5 points: from 1\.00 to 1\.12/i });
    expect(chart.tagName.toLowerCase()).toBe('svg');
    expect(chart.querySelector('polyline')?.getAttribute('points')?.split(' ')).toHaveLength(5);
    expect(card.querySelector('progress')?.getAttribute('value')).toBe('1');
    expect(within(card).queryByRole('button', { name: 'Cancel' })).toBeNull();
    expect(urql.callsOf('subscription', 'BacktestProgressUpdates')).toEqual([]);
  });

  it('follows a running backtest after its cursor, cancels it, and shows the result of a completed event', async () => {
    const urql = fakeUrql({
      queries: { DashboardChoices: choices, BacktestList: { data: { backtests: [backtest('run', { status: 'RUNNING', progress: 0.1 })] } } },
      mutations: { CancelBacktest: { data: { cancelBacktest: backtest('run', { status: 'RUNNING', progress: 0.6 }) } } },
    });
    urql.render(<Backtests />);
    expect(urql.callsOf('subscription', 'BacktestProgressUpdates').map((call) => call.variables)).toEqual([{ id: 'run', after: 'cursor-run' }]);
    const card = () => screen.getByTestId('backtest-run');
    expect(card().querySelector('progress')?.getAttribute('value')).toBe('0.1');

    urql.push('BacktestProgressUpdates', progressEvent('run', { progress: 0.5, processedBars: 25_000 }));
    expect(card().querySelector('progress')?.getAttribute('value')).toBe('0.5');
    expect(card().textContent).toContain('50% · 25,000 / 50,000');

    await act(async () => fireEvent.click(within(card()).getByRole('button', { name: 'Cancel' })));
    expect(urql.callsOf('mutation', 'CancelBacktest').map((call) => call.variables)).toEqual([{ id: 'run' }]);

    urql.push('BacktestProgressUpdates', progressEvent('run', { status: 'COMPLETED', progress: 1, processedBars: 50_000, result }));
    expect(within(card()).getByText('COMPLETED')).toBeTruthy();
    expect(within(card()).queryByRole('button', { name: 'Cancel' })).toBeNull();
    expect(card().textContent).toMatch(/Win rate55\.00%/);
    expect(card().querySelector('svg polyline')).not.toBeNull();
  });

  it('shows CANCELLED from the cancel answer even while older RUNNING events still arrive', async () => {
    const urql = fakeUrql({
      queries: { DashboardChoices: choices, BacktestList: { data: { backtests: [backtest('run')] } } },
      mutations: { CancelBacktest: { data: { cancelBacktest: backtest('run', { status: 'CANCELLED', message: 'Cancelled by the user' }) } } },
    });
    urql.render(<Backtests />);
    await act(async () => fireEvent.click(within(screen.getByTestId('backtest-run')).getByRole('button', { name: 'Cancel' })));
    urql.push('BacktestProgressUpdates', progressEvent('run', { progress: 0.7 }));
    const card = within(screen.getByTestId('backtest-run'));
    expect(card.getByText('CANCELLED')).toBeTruthy();
    expect(card.getByText('Cancelled by the user')).toBeTruthy();
    expect(card.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('ConnectionBadge', () => {
  const status = (overrides: Partial<ConnectionStatus>): ConnectionStatus => ({ state: 'connected', transport: 'websocket', retryAt: null, ...overrides });
  const badge = () => screen.getByRole('status');

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-26T16:30:00.000Z'));
  });

  it.each([
    ['connecting', 'Connecting…'],
    ['connected', 'Connected'],
    ['offline', 'Offline'],
    ['paused', 'Paused'],
    ['auth-needed', 'Token needed'],
    ['failed', 'Disconnected'],
    ['reconnecting', 'Reconnecting…'], // retrying now: no retryAt
  ] as const)('%s reads "%s"', (state, text) => {
    render(<ConnectionBadgeView status={status({ state })} />);
    expect(badge().textContent).toBe(text);
    expect(badge().getAttribute('aria-live')).toBe('polite');
    expect(badge().dataset.state).toBe(state);
  });

  it('counts down to retryAt every second', () => {
    render(<ConnectionBadgeView status={status({ state: 'reconnecting', retryAt: Date.now() + 4_500, code: CloseCode.Abnormal })} />);
    expect(badge().textContent).toBe('Reconnecting in 5 s');
    act(() => vi.advanceTimersByTime(600));
    expect(badge().textContent).toBe('Reconnecting in 4 s');
    act(() => vi.advanceTimersByTime(1_000));
    expect(badge().textContent).toBe('Reconnecting in 3 s');
    act(() => vi.advanceTimersByTime(3_000));
    expect(badge().textContent).toBe('Reconnecting…');
  });

  it('keeps the countdown out of the announcements', () => {
    render(<ConnectionBadgeView status={status({ state: 'reconnecting', retryAt: Date.now() + 3_000 })} />);
    expect(screen.getByRole('timer').textContent).toBe('in 3 s');
  });

  it('names the transport when it is SSE, and the close code of a failure', () => {
    const { rerender } = render(<ConnectionBadgeView status={status({ state: 'connected', transport: 'sse' })} />);
    expect(badge().textContent).toBe('Connected · via SSE');
    rerender(<ConnectionBadgeView status={status({ state: 'failed', code: CloseCode.BadRequest, reason: 'Bad message' })} />);
    expect(badge().textContent).toBe('Disconnected (4400 Bad message)');
  });
});

/* ------------------------------------------------------------------------------------------------ */

describe('Dashboard', () => {
  it('has a header with the title and badge, and a main with the five sections', () => {
    fakeUrql({ queries: { DashboardChoices: choices } }).render(<Dashboard />);
    const banner = screen.getByRole('banner');
    expect(within(banner).getByRole('heading', { level: 1, name: 'TITAN Realtime' })).toBeTruthy();
    // The badge is the page's first status (end-to-end tests read it that way).
    expect(screen.getAllByRole('status')[0]?.closest('header')).toBe(banner);
    const main = screen.getByRole('main');
    const sections = ['Live prices', 'Candles', 'Leaderboard', 'Signals', 'Backtests'];
    expect(within(main).getAllByRole('heading', { level: 2 }).map((heading) => heading.textContent)).toEqual(sections);
    for (const name of sections) expect(within(main).getByRole('region', { name })).toBeTruthy();
  });
});
