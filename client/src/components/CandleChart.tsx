import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql/index.js';
import type { CandleBarFragment, CandleChartLiveSubscription, CandleInterval } from '../gql/graphql.js';
import { useFrameBatchedSubscription } from '../live/use-frame-batched-subscription.js';
import { dashboardPriceMaxRate } from '../live/price-rate.js';
import { applyCandle, CHART_BARS, seedChart, type ChartState } from './candle-chart-state.js';
import { CandlestickSvg } from './CandlestickSvg.js';
import { errorMessage, isCursorExpired, isFeatureDisabled } from './errors.js';
import { formatInteger, formatPrice, formatQuantity, formatTime } from './format.js';
import { useChoices } from './use-choices.js';
import { useRestartOnCursorExpired } from './use-restart-on-expiry.js';

/** The fields of one bar; shared by the history and the live events. */
export const CandleBar = graphql(`
  fragment CandleBar on Candle {
    openTime
    open
    high
    low
    close
    volume
    ticks
    closed
    cursor
  }
`);

const CandleChartHistory = graphql(`
  query CandleChartHistory($symbol: String!, $interval: CandleInterval!, $last: Int) {
    candleHistory(symbol: $symbol, interval: $interval, last: $last) {
      candles {
        ...CandleBar
      }
      cursor
    }
  }
`);

// `cursor` is selected on the root field itself (besides the fragment): the data layer resumes from it.
const CandleChartLive = graphql(`
  subscription CandleChartLive($symbol: String!, $interval: CandleInterval!, $after: Cursor, $maxRate: Float) {
    candles(symbol: $symbol, interval: $interval, after: $after, maxRate: $maxRate) {
      cursor
      ...CandleBar
    }
  }
`);

/** The switch's choices: button text, and the name used in the chart's description. */
export const INTERVALS: readonly { value: CandleInterval; label: string; name: string }[] = [
  { value: 'ONE_SECOND', label: '1 sec', name: '1-second' },
  { value: 'ONE_MINUTE', label: '1 min', name: '1-minute' },
  { value: 'FIVE_MINUTES', label: '5 min', name: '5-minute' },
  { value: 'ONE_HOUR', label: '1 hour', name: '1-hour' },
];

/**
 * A candlestick chart of one symbol with an interval switch. The controls are labelled "Market" and
 * "Interval": "Symbol", "Strategy" and "Bars" belong to the backtest form, and label look-ups match
 * substrings.
 */
export function CandleChart() {
  const headingId = useId();
  const marketId = useId();
  const radioName = useId();
  const choices = useChoices();
  const [picked, setPicked] = useState('');
  const [interval, setChosenInterval] = useState<CandleInterval>('ONE_MINUTE');
  const symbol = picked || choices.symbols[0];
  const intervalName = INTERVALS.find((choice) => choice.value === interval)?.name ?? interval;

  return (
    <section className="panel candle-chart" aria-labelledby={headingId}>
      <h2 id={headingId}>Candles</h2>
      <div className="chart-controls">
        <div className="field">
          <label htmlFor={marketId}>Market</label>
          <select id={marketId} value={symbol ?? ''} onChange={(event) => setPicked(event.target.value)}>
            {choices.symbols.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="interval-switch">
          <legend>Interval</legend>
          {INTERVALS.map((choice) => (
            <label key={choice.value}>
              <input
                type="radio"
                name={radioName}
                value={choice.value}
                checked={interval === choice.value}
                onChange={() => setChosenInterval(choice.value)}
              />
              <span>{choice.label}</span>
            </label>
          ))}
        </fieldset>
      </div>
      {choices.error && !symbol ? (
        <div role="alert">
          <p>Could not load the markets: {errorMessage(choices.error)}</p>
        </div>
      ) : !symbol ? (
        <p className="muted">{choices.fetching ? 'Loading markets…' : 'No markets yet.'}</p>
      ) : (
        // A new symbol or interval mounts a new series: the old subscription ends, a fresh history
        // is loaded and followed after its cursor.
        <CandleSeries key={`${symbol}\n${interval}`} symbol={symbol} interval={interval} intervalName={intervalName} />
      )}
    </section>
  );
}

interface CandleSeriesProps {
  symbol: string;
  interval: CandleInterval;
  intervalName: string;
}

/** `candleHistory`, then `candles(after: history.cursor)`: the open bar updated in place, closed bars appended once. */
function CandleSeries({ symbol, interval, intervalName }: CandleSeriesProps) {
  const [historyResult, refetchHistory] = useQuery({
    query: CandleChartHistory,
    variables: { symbol, interval, last: CHART_BARS },
    requestPolicy: 'network-only',
  });
  const snapshot = historyResult.data?.candleHistory;
  // The open bar changes with every tick: on a phone, at the price board's rate (closed bars are never held back).
  const [maxRate] = useState(dashboardPriceMaxRate);

  // The chart as last shown: a new subscription (or one whose state an error cleared) goes on from it.
  const shown = useRef<ChartState | undefined>(undefined);
  const reducer = useCallback(
    (previous: ChartState | undefined, data: CandleChartLiveSubscription): ChartState => {
      const base = previous ?? shown.current;
      return applyCandle(snapshot ? seedChart(base, snapshot) : (base ?? { seed: '', bars: [] }), data.candles);
    },
    [snapshot],
  );
  const [live] = useFrameBatchedSubscription(
    { query: CandleChartLive, variables: { symbol, interval, after: snapshot?.cursor, maxRate }, pause: !snapshot },
    reducer,
  );

  const restart = useCallback(() => refetchHistory({ requestPolicy: 'network-only' }), [refetchHistory]);
  useRestartOnCursorExpired(live.error, restart);

  const chart = useMemo(
    () => (snapshot ? seedChart(live.data ?? shown.current, snapshot) : undefined),
    // `shown` only matters when `live.data` is missing, i.e. right after a (re)start.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [snapshot, live.data],
  );
  useEffect(() => {
    if (chart) shown.current = chart;
  }, [chart]);

  const error = historyResult.error ?? live.error;
  if (isFeatureDisabled(error)) {
    return <p className="muted">Candles are switched off on this server (analytics disabled).</p>;
  }
  if (historyResult.error && !snapshot) {
    return (
      <div role="alert">
        <p>Could not load candles: {errorMessage(historyResult.error)}</p>
        <button type="button" onClick={restart}>
          Try again
        </button>
      </div>
    );
  }
  if (!chart) return <p className="muted">Loading candles…</p>;

  const latest = chart.bars.at(-1);
  return (
    <>
      {live.error && !isCursorExpired(live.error) && (
        <div role="alert" className="inline-alert">
          <p>Live candles stopped: {errorMessage(live.error)}</p>
          <button type="button" onClick={restart}>
            Reload candles
          </button>
        </div>
      )}
      <figure className="candle-figure">
        <CandlestickSvg bars={chart.bars} symbol={symbol} intervalName={intervalName} />
        <figcaption>{latest ? <LatestCandle bar={latest} /> : `No ${intervalName} candles of ${symbol} yet.`}</figcaption>
      </figure>
    </>
  );
}

/** The newest bar's figures in words, next to the picture. */
function LatestCandle({ bar }: { bar: CandleBarFragment }) {
  const figures: [string, string][] = [
    ['Open', formatPrice(bar.open, bar.high)],
    ['High', formatPrice(bar.high, bar.high)],
    ['Low', formatPrice(bar.low, bar.high)],
    ['Close', formatPrice(bar.close, bar.high)],
    ['Volume', formatQuantity(bar.volume)],
    ['Ticks', formatInteger(bar.ticks)],
  ];
  return (
    <>
      <span className="candle-latest-title">
        Latest candle, from <time dateTime={bar.openTime}>{formatTime(bar.openTime)}</time> ({bar.closed ? 'closed' : 'open'})
      </span>
      <dl className="stats candle-latest" data-testid="latest-candle">
        {figures.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}
