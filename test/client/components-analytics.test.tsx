// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, within } from '@testing-library/react';
import { CombinedError } from 'urql';
import { afterEach, describe, expect, it } from 'vitest';
import { CandleChart } from '../../client/src/components/CandleChart.js';
import { StrategyLeaderboard } from '../../client/src/components/StrategyLeaderboard.js';
import { fakeUrql, type Variables } from './fake-urql.js';

/* The two analytics views with the data layer's real frame-batched hook: events render on the next frame. */

const nextFrame = () => act(() => new Promise<void>((resolve) => requestAnimationFrame(() => resolve())));
const graphQLError = (code: string) => new CombinedError({ graphQLErrors: [{ message: `it is ${code}`, extensions: { code } }] });

const choices = {
  data: {
    strategies: [
      { __typename: 'Strategy', id: 'ma-crossover', name: 'SMA 10/30 crossover', description: 'Trend' },
      { __typename: 'Strategy', id: 'rsi-reversion', name: 'RSI(14) mean reversion', description: 'Reversion' },
      { __typename: 'Strategy', id: 'breakout', name: 'Donchian breakout', description: 'Breakout' },
    ],
    symbols: ['ETH-USD', 'BTC-USD'],
  },
};

afterEach(cleanup);

/* ------------------------------------------------------------------------------------------------ */

/** A one-minute bar starting `minute` minutes after 16:00 UTC. */
const candle = (minute: number, values: Partial<Record<'open' | 'high' | 'low' | 'close' | 'ticks', number>> & { closed?: boolean } = {}) => ({
  __typename: 'Candle',
  openTime: new Date(Date.UTC(2026, 10, 26, 16, minute)).toISOString(),
  open: 200,
  high: 210,
  low: 190,
  close: 205,
  volume: 2.5,
  ticks: 4,
  closed: true,
  cursor: `k-${minute}-${values.ticks ?? 4}-${values.closed ?? true}`,
  ...values,
});

describe('CandleChart', () => {
  const history = (variables: Variables) => ({
    data: {
      candleHistory: {
        __typename: 'CandleSnapshot',
        candles: [candle(0), candle(1, { open: 205, close: 195 }), candle(2, { closed: false, ticks: 1, open: 195, high: 195, low: 195, close: 195 })],
        cursor: `h-${String(variables.symbol)}-${String(variables.interval)}`,
      },
    },
  });
  const answers = { queries: { DashboardChoices: choices, CandleChartHistory: history } };
  const candles = () => [...document.querySelectorAll('[data-testid="candle"]')];
  const latest = () => within(screen.getByTestId('latest-candle'));
  const figure = (label: string) => latest().getByText(label).nextElementSibling?.textContent;

  it('loads the history of the first symbol, then follows candles after its cursor: the open bar in place, closed bars once', async () => {
    const urql = fakeUrql(answers);
    urql.render(<CandleChart />);
    await nextFrame();
    expect(urql.callsOf('query', 'CandleChartHistory').map((call) => call.variables)).toEqual([
      { symbol: 'BTC-USD', interval: 'ONE_MINUTE', last: 120 },
    ]);
    expect(urql.callsOf('subscription', 'CandleChartLive').map((call) => call.variables)).toEqual([
      { symbol: 'BTC-USD', interval: 'ONE_MINUTE', after: 'h-BTC-USD-ONE_MINUTE', maxRate: null },
    ]);
    expect(candles().map((node) => node.getAttribute('class'))).toEqual(['candle up', 'candle down', 'candle up open-bar']);
    const chart = screen.getByRole('img', { name: /^BTC-USD, 1-minute candles: 3 candles from .* low 190\.00, high 210\.00, last close 195\.00 \(bar still open\)\.$/ });
    expect(chart.tagName.toLowerCase()).toBe('svg');
    expect([...chart.querySelectorAll('.price-axis text')].map((label) => label.textContent)).toEqual(['190.00', '195.00', '200.00', '205.00', '210.00']);

    urql.push('CandleChartLive', { data: { candles: candle(2, { closed: false, ticks: 2, open: 195, high: 199, low: 195, close: 199 }) } });
    urql.push('CandleChartLive', { data: { candles: candle(2, { closed: false, ticks: 3, open: 195, high: 201, low: 194, close: 200 }) } });
    expect(figure('Close')).toBe('195.00'); // not yet: waits for the frame
    await nextFrame();
    expect(candles()).toHaveLength(3);
    expect([figure('High'), figure('Low'), figure('Close'), figure('Ticks')]).toEqual(['201.00', '194.00', '200.00', '3']);
    expect(document.querySelector('.candle-latest-title')?.textContent).toMatch(/^Latest candle, from .+ \(open\)$/);

    urql.push('CandleChartLive', { data: { candles: candle(2, { closed: true, ticks: 4, open: 195, high: 201, low: 194, close: 197 }) } });
    urql.push('CandleChartLive', { data: { candles: candle(3, { closed: false, ticks: 1, open: 197, high: 197, low: 197, close: 197 }) } });
    // A replayed close (e.g. after a resume) is not appended again.
    urql.push('CandleChartLive', { data: { candles: candle(2, { closed: true, ticks: 4, open: 195, high: 201, low: 194, close: 197 }) } });
    await nextFrame();
    expect(candles().map((node) => [node.getAttribute('data-open-time')?.slice(11, 16), node.getAttribute('data-closed')])).toEqual([
      ['16:00', 'true'],
      ['16:01', 'true'],
      ['16:02', 'true'],
      ['16:03', 'false'],
    ]);
    expect(screen.getByRole('img', { name: /4 candles from/ })).toBeTruthy();
  });

  it('restarts cleanly on a new interval or symbol: the old subscription ends, a fresh history is followed', async () => {
    const urql = fakeUrql(answers);
    urql.render(<CandleChart />);
    await nextFrame();
    expect(urql.openSubscriptions('CandleChartLive')).toBe(1);

    const interval = within(screen.getByRole('group', { name: 'Interval' }));
    expect(interval.getAllByRole('radio').map((radio) => radio.closest('label')?.textContent)).toEqual(['1 sec', '1 min', '5 min', '1 hour']);
    expect((interval.getByRole('radio', { name: '1 min' }) as HTMLInputElement).checked).toBe(true);
    fireEvent.click(interval.getByRole('radio', { name: '1 sec' }));
    await nextFrame();
    expect(urql.openSubscriptions('CandleChartLive')).toBe(1);
    expect(urql.callsOf('query', 'CandleChartHistory').at(-1)?.variables).toEqual({ symbol: 'BTC-USD', interval: 'ONE_SECOND', last: 120 });
    expect(urql.callsOf('subscription', 'CandleChartLive').at(-1)?.variables).toEqual({
      symbol: 'BTC-USD',
      interval: 'ONE_SECOND',
      after: 'h-BTC-USD-ONE_SECOND',
      maxRate: null,
    });
    expect(screen.getByRole('img', { name: /^BTC-USD, 1-second candles/ })).toBeTruthy();

    const market = screen.getByLabelText('Market');
    expect(within(market).getAllByRole('option').map((option) => option.textContent)).toEqual(['BTC-USD', 'ETH-USD']);
    fireEvent.change(market, { target: { value: 'ETH-USD' } });
    await nextFrame();
    expect(urql.openSubscriptions('CandleChartLive')).toBe(1);
    expect(urql.callsOf('subscription', 'CandleChartLive').at(-1)?.variables).toEqual({
      symbol: 'ETH-USD',
      interval: 'ONE_SECOND',
      after: 'h-ETH-USD-ONE_SECOND',
      maxRate: null,
    });
    expect(urql.callsOf('subscription', 'CandleChartLive')).toHaveLength(3);
  });

  it('refetches the history on CURSOR_EXPIRED and follows its new cursor, keeping the bars shown', async () => {
    let cursor = 'h-1';
    const urql = fakeUrql({
      queries: {
        DashboardChoices: choices,
        CandleChartHistory: () => ({
          data: { candleHistory: { candles: cursor === 'h-1' ? [candle(0), candle(1)] : [candle(5), candle(6, { closed: false, ticks: 1 })], cursor } },
        }),
      },
    });
    urql.render(<CandleChart />);
    await nextFrame();
    cursor = 'h-2';
    urql.push('CandleChartLive', { error: graphQLError('CURSOR_EXPIRED') });
    await nextFrame();
    await nextFrame();
    expect(urql.callsOf('query', 'CandleChartHistory').at(-1)?.context.requestPolicy).toBe('network-only');
    expect(urql.callsOf('subscription', 'CandleChartLive').at(-1)?.variables).toMatchObject({ after: 'h-2' });
    expect(candles().map((node) => node.getAttribute('data-open-time')?.slice(11, 16))).toEqual(['16:00', '16:01', '16:05', '16:06']);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says so when the server has analytics switched off, without an error to retry', async () => {
    fakeUrql({ queries: { DashboardChoices: choices, CandleChartHistory: { error: graphQLError('FEATURE_DISABLED') } } }).render(<CandleChart />);
    await nextFrame();
    expect(screen.getByText(/Candles are switched off on this server/)).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('offers a retry when the history fails', async () => {
    const urql = fakeUrql({ queries: { DashboardChoices: choices, CandleChartHistory: { error: graphQLError('UNAVAILABLE') } } });
    urql.render(<CandleChart />);
    await nextFrame();
    expect(screen.getByRole('alert').textContent).toContain('Could not load candles: it is UNAVAILABLE');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(urql.callsOf('query', 'CandleChartHistory')).toHaveLength(2);
    expect(urql.callsOf('subscription', 'CandleChartLive')).toEqual([]);
  });
});

/* ------------------------------------------------------------------------------------------------ */

const stats = (strategyId: string, totalPnl: number, overrides: Record<string, unknown> = {}) => ({
  __typename: 'StrategyStats',
  strategyId,
  signals: 5,
  buys: 3,
  sells: 2,
  since: '2026-11-26T16:00:00.000Z',
  positions: [],
  realisedPnl: totalPnl,
  unrealisedPnl: 0,
  totalPnl,
  roundTrips: 4,
  winningRoundTrips: 3,
  hitRate: 0.75,
  cursor: `s-${strategyId}`,
  ...overrides,
});

describe('StrategyLeaderboard', () => {
  const rows = () => screen.getAllByTestId('leaderboard-row');
  const names = () => rows().map((row) => within(row).getByRole('rowheader').textContent);
  const cell = (row: HTMLElement, label: string) => row.querySelector(`[data-label="${label}"]`)?.textContent;

  it('ranks the answered strategies by total P&L with their figures, then re-ranks on live updates', async () => {
    const urql = fakeUrql({
      queries: {
        DashboardChoices: choices,
        StrategyStatsSnapshot: {
          data: {
            strategyStats: [
              stats('ma-crossover', -12.5, { realisedPnl: -20, unrealisedPnl: 7.5, positions: [
                { __typename: 'StrategyPosition', symbol: 'BTC-USD', side: 'BUY', quantity: 1, entryPrice: 65_000, markPrice: 65_007.5, unrealisedPnl: 7.5 },
              ] }),
              stats('rsi-reversion', 30.25),
              stats('breakout', 0, { signals: 0, buys: 0, sells: 0, since: null, roundTrips: 0, winningRoundTrips: 0, hitRate: null }),
            ],
          },
        },
      },
    });
    urql.render(<StrategyLeaderboard />);
    await nextFrame();
    expect(screen.getByRole('table', { name: /ranked by total P&L/i })).toBeTruthy();
    // Every strategy the token is entitled to: the server decides, the board asks for no ids.
    expect(urql.callsOf('query', 'StrategyStatsSnapshot').map((call) => call.variables)).toEqual([{}]);
    expect(names()).toEqual(['RSI(14) mean reversion', 'Donchian breakout', 'SMA 10/30 crossover']);

    const [best, flat, worst] = rows();
    expect(cell(best!, 'Rank')).toBe('1');
    expect(cell(best!, 'Total P&L')).toBe('+30.25');
    expect(cell(best!, 'Hit rate')).toBe('75% (3 of 4)');
    expect(cell(best!, 'Signals')).toMatch(/^5 \(3 buy · 2 sell, since .+\)$/);
    expect(cell(flat!, 'Hit rate')).toBe('—');
    expect(cell(flat!, 'Signals')).toBe('0 (0 buy · 0 sell)');
    expect(cell(flat!, 'Open positions')).toBe('None');
    expect([cell(worst!, 'Total P&L'), cell(worst!, 'Realised'), cell(worst!, 'Unrealised')]).toEqual(['-12.50', '-20.00', '+7.50']);
    expect(worst!.querySelector('[data-label="Total P&L"] .pnl')?.className).toBe('pnl down');
    expect(cell(worst!, 'Open positions')).toBe('BTC-USD long @ 65,000.00 +7.50');

    expect(urql.callsOf('subscription', 'StrategyStatsLive').map((call) => call.variables)).toEqual([{}]);
    urql.push('StrategyStatsLive', { data: { strategyStats: stats('ma-crossover', 42, { signals: 6, sells: 3 }) } });
    await nextFrame();
    expect(names()).toEqual(['SMA 10/30 crossover', 'RSI(14) mean reversion', 'Donchian breakout']);
    expect(cell(rows()[0]!, 'Total P&L')).toBe('+42.00');
    expect(cell(rows()[0]!, 'Signals')).toMatch(/^6 \(3 buy · 3 sell/);
  });

  it('subscribes only once the query answered, so no update can be older than the answer', async () => {
    const urql = fakeUrql({ queries: { DashboardChoices: choices } }); // StrategyStatsSnapshot never answers
    urql.render(<StrategyLeaderboard />);
    await nextFrame();
    expect(screen.getByText('Loading figures…')).toBeTruthy();
    expect(urql.callsOf('subscription', 'StrategyStatsLive')).toEqual([]);
  });

  it('shows only the strategies the server answered for a token limited to some', async () => {
    const urql = fakeUrql({ queries: { DashboardChoices: choices, StrategyStatsSnapshot: { data: { strategyStats: [stats('rsi-reversion', 3)] } } } });
    urql.render(<StrategyLeaderboard />);
    await nextFrame();
    expect(names()).toEqual(['RSI(14) mean reversion']);
    urql.push('StrategyStatsLive', { data: { strategyStats: stats('rsi-reversion', 4) } });
    await nextFrame();
    expect(names()).toEqual(['RSI(14) mean reversion']);
  });

  it('shows an alert when the live figures stop, and Reload starts a fresh query and subscription', async () => {
    const urql = fakeUrql({ queries: { DashboardChoices: choices, StrategyStatsSnapshot: { data: { strategyStats: [stats('rsi-reversion', 3)] } } } });
    urql.render(<StrategyLeaderboard />);
    await nextFrame();
    urql.push('StrategyStatsLive', { error: graphQLError('UNAVAILABLE') });
    await nextFrame();
    expect(screen.getByRole('alert').textContent).toContain('Live figures stopped: it is UNAVAILABLE');
    expect(names()).toEqual(['RSI(14) mean reversion']); // what it had stays
    fireEvent.click(screen.getByRole('button', { name: 'Reload figures' }));
    await nextFrame();
    expect(urql.callsOf('query', 'StrategyStatsSnapshot')).toHaveLength(2);
    expect(urql.callsOf('subscription', 'StrategyStatsLive')).toHaveLength(2);
    expect(urql.openSubscriptions('StrategyStatsLive')).toBe(1);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says so when the server has analytics switched off', async () => {
    fakeUrql({ queries: { DashboardChoices: choices, StrategyStatsSnapshot: { error: graphQLError('FEATURE_DISABLED') } } }).render(<StrategyLeaderboard />);
    await nextFrame();
    expect(screen.getByText(/Strategy figures are switched off/)).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
