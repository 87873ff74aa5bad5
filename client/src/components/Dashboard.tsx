import { Backtests } from './Backtests.js';
import { CandleChart } from './CandleChart.js';
import { ConnectionBadge } from './ConnectionBadge.js';
import { PriceBoard } from './PriceBoard.js';
import { SignalsFeed } from './SignalsFeed.js';
import { StrategyLeaderboard } from './StrategyLeaderboard.js';

/**
 * The trader's screen: a header with the title and the connection badge, then live prices, a candle
 * chart, the strategy leaderboard, signals and backtests. Renders its own `<header>` and `<main>`
 * landmarks, so mount it outside any other `<main>`. Needs an urql Provider (LiveSession) above it.
 */
export function Dashboard() {
  return (
    <div className="dashboard">
      <header className="app-header">
        <h1>TITAN Realtime</h1>
        <ConnectionBadge />
      </header>
      <main className="dashboard-main">
        <PriceBoard />
        <CandleChart />
        <StrategyLeaderboard />
        <SignalsFeed />
        <Backtests />
      </main>
    </div>
  );
}
