/**
 * The contract between the main thread and `backtest-worker.ts`: how to start a worker, what it is
 * asked to run (`workerData`) and the messages it posts back. Kept apart from the worker so the
 * main thread imports these without loading the worker's code.
 */

import { Worker } from 'node:worker_threads';

import type { BacktestResult } from './events.js';

/** Passed as `workerData` when starting `backtest-worker.ts`. */
export interface BacktestJob {
  strategyId: string;
  symbol: string;
  /** Number of hourly bars to simulate. */
  bars: number;
  /** Simulation speed, so progress is observable in a demo; 0 runs as fast as possible. */
  barsPerSecond: number;
}

/** Posted once when the run starts, then at most every 100 ms. */
export interface BacktestProgressMessage {
  type: 'progress';
  processedBars: number;
  totalBars: number;
  equity: number;
}

/** Posted once, last, when every bar has been simulated. */
export interface BacktestCompletedMessage {
  type: 'completed';
  result: BacktestResult;
  /** At most ~200 equity points, starting at 1.0. */
  equityCurve: number[];
}

/** Posted once, last, for an unknown strategy, an invalid job or any error thrown by the run. */
export interface BacktestFailedMessage {
  type: 'failed';
  message: string;
}

export type BacktestWorkerMessage = BacktestProgressMessage | BacktestCompletedMessage | BacktestFailedMessage;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Checks that `value` (the untyped `workerData`) is a `BacktestJob`; throws naming the bad field. */
export function parseBacktestJob(value: unknown): BacktestJob {
  if (!isRecord(value)) throw new TypeError('The backtest job must be an object');
  const { strategyId, symbol, bars, barsPerSecond } = value;
  if (typeof strategyId !== 'string') throw new TypeError('The backtest job needs a string strategyId');
  if (typeof symbol !== 'string') throw new TypeError('The backtest job needs a string symbol');
  if (typeof bars !== 'number' || !Number.isSafeInteger(bars) || bars < 0) {
    throw new TypeError(`The backtest job's bars must be a non-negative integer, got ${String(bars)}`);
  }
  if (typeof barsPerSecond !== 'number' || !Number.isFinite(barsPerSecond) || barsPerSecond < 0) {
    throw new TypeError(`The backtest job's barsPerSecond must be a finite number >= 0, got ${String(barsPerSecond)}`);
  }
  return { strategyId, symbol, bars, barsPerSecond };
}

/*
 * Compiled (npm start, the image) the worker is dist/domain/backtest-worker.js, next to this file.
 * From source (tests, npm run dev under tsx) it is TypeScript, and `execArgv: ['--import', 'tsx']`
 * does not make it loadable on Node 20: tsx registers its loader on the main thread only there (it
 * does so in workers from Node 22.22.3 / 24.11.1), and loader hooks are not inherited by workers. So
 * from source the worker starts from a bootstrap that registers tsx in the worker and then imports
 * the entry. Both specifiers are resolved here to absolute URLs, so it works from any directory.
 */
const COMPILED = import.meta.url.endsWith('.js');
const WORKER_ENTRY = new URL(COMPILED ? './backtest-worker.js' : './backtest-worker.ts', import.meta.url);
const WORKER_SOURCE = COMPILED
  ? WORKER_ENTRY
  : `
  import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
    .then(({ register }) => { register(); return import(${JSON.stringify(WORKER_ENTRY.href)}); });
`;

/**
 * Starts a worker thread running `job`. Listen to `message` (a `BacktestWorkerMessage`), `error`
 * (the worker crashed or could not load) and `exit`; cancel with `worker.terminate()`.
 */
export function startBacktestWorker(job: BacktestJob): Worker {
  // An empty execArgv keeps the parent's loader flags out: from source the bootstrap alone sets up TypeScript.
  return new Worker(WORKER_SOURCE, { eval: !COMPILED, workerData: job, execArgv: [] });
}
