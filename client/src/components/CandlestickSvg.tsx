import { useId } from 'react';
import type { CandleBarFragment } from '../gql/graphql.js';
import { layoutCandles } from './candle-geometry.js';
import { formatPrice, formatTime } from './format.js';
import { useElementWidth } from './use-element-width.js';

const HEIGHT = 260;
const AXIS_WIDTH = 76;
const TIME_AXIS_HEIGHT = 20;
/** Until the container is measured (and in jsdom): a typical desktop panel. */
const FALLBACK_WIDTH = 640;
/** The first bar's time is labelled only this far from the last's, so the two never overlap. */
const MIN_TIME_LABEL_GAP = 140;

export interface CandlestickSvgProps {
  /** Oldest first. */
  bars: readonly CandleBarFragment[];
  symbol: string;
  /** "1-minute", for the accessible name. */
  intervalName: string;
}

/**
 * The bars as candles: body from open to close, wick from low to high, up bars (close ≥ open) and
 * down bars in their colours and also told apart by fill (hollow up, solid down), the open bar
 * dashed; round prices on the right, the first and last bar's time below (the first only when there
 * is room). Drawn at its
 * container's width: as many bars as fit at 6 px or more each.
 */
export function CandlestickSvg({ bars, symbol, intervalName }: CandlestickSvgProps) {
  const titleId = useId();
  const [containerRef, width] = useElementWidth<HTMLDivElement>(FALLBACK_WIDTH);
  const box = { width, height: HEIGHT, axisWidth: AXIS_WIDTH, timeAxisHeight: TIME_AXIS_HEIGHT };
  const { candles, priceLabels, plotRight, plotBottom } = layoutCandles(bars, box);
  const first = candles[0];
  const last = candles.at(-1);
  const low = Math.min(...candles.map((candle) => candle.bar.low));
  const high = Math.max(...candles.map((candle) => candle.bar.high));
  // Every figure with the decimals of the highest price shown, so they line up.
  const price = (value: number) => formatPrice(value, high);
  const description =
    first && last
      ? `${symbol}, ${intervalName} candles: ${candles.length} candles from ${formatTime(first.bar.openTime)} to ` +
        `${formatTime(last.bar.openTime)}, low ${price(low)}, high ${price(high)}, ` +
        `last close ${price(last.bar.close)}${last.bar.closed ? '' : ' (bar still open)'}.`
      : `${symbol}, ${intervalName} candles: none yet.`;

  return (
    <div className="candle-svg" ref={containerRef}>
      <svg role="img" aria-labelledby={titleId} width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`}>
        <title id={titleId}>{description}</title>
        <g className="price-axis">
          {priceLabels.map(({ value, y }) => (
            <g key={value}>
              <line className="grid-line" x1={0} x2={plotRight} y1={y} y2={y} />
              <text x={plotRight + 6} y={y} dominantBaseline="middle">
                {price(value)}
              </text>
            </g>
          ))}
        </g>
        <g className="candles">
          {candles.map(({ bar, direction, x, bodyX, bodyWidth, bodyY, bodyHeight, wickTop, wickBottom }) => (
            <g
              key={bar.openTime}
              className={`candle ${direction}${bar.closed ? '' : ' open-bar'}`}
              data-testid="candle"
              data-open-time={bar.openTime}
              data-closed={bar.closed}
            >
              <line className="wick" x1={x} x2={x} y1={wickTop} y2={wickBottom} />
              <rect className="body" x={bodyX} y={bodyY} width={bodyWidth} height={bodyHeight} />
            </g>
          ))}
        </g>
        {last && (
          <g className="time-axis">
            {first && last.x - first.x >= MIN_TIME_LABEL_GAP && (
              <text x={first.x} y={plotBottom + 14}>
                {formatTime(first.bar.openTime)}
              </text>
            )}
            <text x={last.x} y={plotBottom + 14} textAnchor="end">
              {formatTime(last.bar.openTime)}
            </text>
          </g>
        )}
      </svg>
    </div>
  );
}
