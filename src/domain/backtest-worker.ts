/**
 * Worker-thread entry that runs one backtest (`workerData: BacktestJob`) off the main event loop
 * and reports to `parentPort` with `BacktestWorkerMessage`s. Cancelling is `worker.terminate()`:
 * there is nothing to clean up, so the worker listens for no messages.
 */

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';

import { parseBacktestJob, type BacktestJob, type BacktestWorkerMessage } from './backtest-job.js';
import { BacktestSimulation } from './backtest-simulation.js';
import { generateCloses } from './bar-series.js';
import { findStrategy } from './strategies.js';

/** Minimum time between two progress messages, so a fast run does not flood the main thread. */
const PROGRESS_INTERVAL_MS = 100;

/** Bars simulated between clock checks of an unpaced run: a few milliseconds of work. */
const UNPACED_CHUNK_BARS = 10_000;

/** Shortest sleep of a paced run, so slow pacing does not turn into a busy loop of tiny chunks. */
const MIN_PACED_SLEEP_MS = 20;

/**
 * Bars a paced run should have simulated by now. Going by the wall clock rather than by sleeps
 * makes the run take bars / barsPerSecond seconds however long each chunk took to compute.
 */
function barsDue(job: BacktestJob, startedAt: number): number {
  return Math.floor(((performance.now() - startedAt) / 1000) * job.barsPerSecond);
}

async function runBacktestJob(job: BacktestJob, post: (message: BacktestWorkerMessage) => void): Promise<void> {
  const strategy = findStrategy(job.strategyId);
  if (strategy === undefined) {
    post({ type: 'failed', message: `Unknown strategy "${job.strategyId}"` });
    return;
  }
  const simulation = new BacktestSimulation(strategy, generateCloses(job.symbol, job.bars));
  const startedAt = performance.now();
  let lastProgressAt = startedAt;
  let progress = simulation.step(0);
  post({ type: 'progress', ...progress });

  const paced = job.barsPerSecond > 0;
  while (!simulation.done) {
    progress = simulation.step(paced ? barsDue(job, startedAt) - progress.processedBars : UNPACED_CHUNK_BARS);
    if (simulation.done) break;

    const now = performance.now();
    if (now - lastProgressAt >= PROGRESS_INTERVAL_MS) {
      post({ type: 'progress', ...progress });
      lastProgressAt = now;
    }
    if (paced) {
      const nextBarDueAt = startedAt + ((progress.processedBars + 1) / job.barsPerSecond) * 1000;
      await sleep(Math.max(MIN_PACED_SLEEP_MS, nextBarDueAt - now));
    }
  }
  post({ type: 'completed', result: simulation.result(), equityCurve: simulation.equityCurve() });
}

const port = parentPort;
if (port === null) throw new Error('backtest-worker.ts must be started with new Worker(), not imported');
const post = (message: BacktestWorkerMessage): void => port.postMessage(message);

try {
  await runBacktestJob(parseBacktestJob(workerData), post);
} catch (error) {
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}
