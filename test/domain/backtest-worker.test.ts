import type { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import {
  startBacktestWorker,
  type BacktestJob,
  type BacktestWorkerMessage,
} from '../../src/domain/backtest-job.js';
import { BacktestSimulation } from '../../src/domain/backtest-simulation.js';
import { generateCloses } from '../../src/domain/bar-series.js';
import { findStrategy } from '../../src/domain/strategies.js';

interface WorkerRun {
  messages: BacktestWorkerMessage[];
  /** Milliseconds from the first message (the worker is loaded) to the last one. */
  runMs: number;
  exitCode: number;
}

/** Collects every message of a worker until it exits; `onMessage` may act on the worker. */
function collect(worker: Worker, onMessage?: (message: BacktestWorkerMessage) => void): Promise<WorkerRun> {
  return new Promise((resolve, reject) => {
    const messages: BacktestWorkerMessage[] = [];
    const arrivals: number[] = [];
    worker.on('message', (message: BacktestWorkerMessage) => {
      messages.push(message);
      arrivals.push(performance.now());
      onMessage?.(message);
    });
    worker.on('error', reject);
    worker.on('exit', (exitCode) =>
      resolve({ messages, exitCode, runMs: (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0) }),
    );
  });
}

function expectedOutcome(job: BacktestJob) {
  const strategy = findStrategy(job.strategyId);
  if (strategy === undefined) throw new Error(`missing ${job.strategyId}`);
  const simulation = new BacktestSimulation(strategy, generateCloses(job.symbol, job.bars));
  simulation.step(job.bars);
  return { result: simulation.result(), equityCurve: simulation.equityCurve() };
}

describe('backtest worker', () => {
  it('runs a job in a worker thread and posts progress, then the result', async () => {
    const job: BacktestJob = { strategyId: 'ma-crossover', symbol: 'BTC-USD', bars: 2_000, barsPerSecond: 0 };
    const { messages, exitCode } = await collect(startBacktestWorker(job));

    expect(exitCode).toBe(0);
    expect(messages[0]).toEqual({ type: 'progress', processedBars: 0, totalBars: 2_000, equity: 1 });
    // The worker simulates the same deterministic series as this thread would.
    expect(messages.at(-1)).toEqual({ type: 'completed', ...expectedOutcome(job) });
  });

  it('paces a run by barsPerSecond, reporting progress at most every 100 ms', async () => {
    const job: BacktestJob = { strategyId: 'rsi-reversion', symbol: 'AAPL', bars: 400, barsPerSecond: 1_000 };
    const { messages, runMs } = await collect(startBacktestWorker(job));

    expect(runMs).toBeGreaterThanOrEqual(350);
    const progress = messages.filter((message) => message.type === 'progress');
    // The start, then about one every 100 ms of a 400 ms run.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThanOrEqual(5);
    const processed = progress.map((message) => message.processedBars);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    expect(messages.at(-1)?.type).toBe('completed');
  });

  it('fails an unknown strategy and an invalid job', async () => {
    const unknown = await collect(
      startBacktestWorker({ strategyId: 'nope', symbol: 'AAPL', bars: 100, barsPerSecond: 0 }),
    );
    expect(unknown.messages).toEqual([{ type: 'failed', message: 'Unknown strategy "nope"' }]);

    const invalid = await collect(
      startBacktestWorker({ strategyId: 'ma-crossover', symbol: 'AAPL', bars: -1, barsPerSecond: 0 }),
    );
    expect(invalid.messages).toEqual([
      { type: 'failed', message: "The backtest job's bars must be a non-negative integer, got -1" },
    ]);
  });

  it('stops when the main thread terminates it', async () => {
    const job: BacktestJob = { strategyId: 'ma-crossover', symbol: 'ETH-USD', bars: 100_000, barsPerSecond: 100 };
    const worker = startBacktestWorker(job);
    const { messages, exitCode } = await collect(worker, () => void worker.terminate());

    expect(exitCode).toBe(1);
    expect(messages.map((message) => message.type)).toEqual(['progress']);
  });
});
