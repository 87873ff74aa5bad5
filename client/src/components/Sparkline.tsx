import { scaleSeries } from './chart-geometry.js';

const WIDTH = 80;
const HEIGHT = 24;

export interface SparklineProps {
  /** Oldest first. */
  values: readonly number[];
  /** What the line shows, for screen readers: "BTC-USD, last 60 prices". */
  label: string;
}

/** A tiny inline line chart of recent values, coloured by the row's direction (`currentColor`). */
export function Sparkline({ values, label }: SparklineProps) {
  if (values.length < 2) return <span className="sparkline-empty">–</span>;
  const { points } = scaleSeries(values, { width: WIDTH, height: HEIGHT, padding: 2 });
  return (
    <svg
      className="sparkline"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width={WIDTH}
      height={HEIGHT}
      preserveAspectRatio="none"
    >
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" vectorEffect="non-scaling-stroke" />
    </svg>
  );
}
