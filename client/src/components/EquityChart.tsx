import { useId } from 'react';
import { scaleSeries } from './chart-geometry.js';
import { formatRatio } from './format.js';

const WIDTH = 320;
const HEIGHT = 120;
/** Every run starts with equity 1.0: the line to compare against. */
const START_EQUITY = 1;

/** The equity of a backtest over its run (`BacktestResult.equityCurve`) as an inline SVG line chart. */
export function EquityChart({ values }: { values: readonly number[] }) {
  const titleId = useId();
  if (values.length < 2) return null;
  const { points, yOf } = scaleSeries(values, { width: WIDTH, height: HEIGHT, padding: 4, include: [START_EQUITY] });
  const first = values[0] ?? START_EQUITY;
  const last = values[values.length - 1] ?? START_EQUITY;
  const description =
    `Equity curve, ${values.length} points: from ${formatRatio(first)} to ${formatRatio(last)}, ` +
    `low ${formatRatio(Math.min(...values))}, high ${formatRatio(Math.max(...values))}.`;
  return (
    <figure className="equity-chart">
      <svg role="img" aria-labelledby={titleId} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none">
        <title id={titleId}>{description}</title>
        <line
          className="equity-baseline"
          x1="0"
          x2={WIDTH}
          y1={yOf(START_EQUITY)}
          y2={yOf(START_EQUITY)}
          vectorEffect="non-scaling-stroke"
        />
        <polyline
          className={last >= first ? 'equity-line up' : 'equity-line down'}
          points={points}
          fill="none"
          vectorEffect="non-scaling-stroke"
        />
      </svg>
      <figcaption>
        Equity from {formatRatio(first)} to {formatRatio(last)}; dashed line: the starting 1.00
      </figcaption>
    </figure>
  );
}
