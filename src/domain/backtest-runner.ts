import { randomUUID } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import type { EventBus } from '../bus/event-bus.js';
import { keepSubscribed, type KeptSubscription } from '../bus/keep-subscribed.js';
import { isUnavailable } from '../bus/unavailable.js';
import type { BacktestRecord, BacktestStore } from './backtest.js';
import { startBacktestWorker, type BacktestJob, type BacktestWorkerMessage } from './backtest-job.js';
import { TERMINAL_BACKTEST_STATUSES, type BacktestProgressEvent, type BacktestStatus } from './events.js';

/** `barsPerSecond` and `concurrency` are the `backtests` knobs of `config.ts`, `retryMaxDelayMs` one of its Redis timeouts. */
export interface BacktestRunnerOptions {
  bus: EventBus;
  store: BacktestStore;
  /** Pace of a run in bars per second, so progress is observable; 0 = as fast as possible. */
  barsPerSecond: number;
  /** Runs at once in this process; later ones wait as QUEUED. */
  concurrency: number;
  /** How long `cancel` waits for the instance running a backtest to confirm. @default 5000 */
  remoteCancelTimeoutMs?: number;
  /** Pause between attempts to publish a run's final state (or to listen for cancels) while the bus is unavailable. */
  retryMaxDelayMs: number;
  /** Failures to store or publish a run's state (the run itself goes on). */
  onError: (error: unknown) => void;
}

export interface BacktestRequest {
  strategyId: string;
  symbol: string;
  bars: number;
}

/** The key under which every instance listens for cancel requests. */
const CANCEL_KEY = 'all';

/**
 * Runs backtests in worker threads, off the main event loop, and reports them: each state change
 * is saved to the store and published as `BacktestProgress` on the bus (the worker already throttles
 * progress to at most 10 a second). A backtest may be cancelled from any instance: the request goes
 * over the bus to the instance that runs it.
 */
export class BacktestRunner {
  private readonly bus: EventBus;
  private readonly store: BacktestStore;
  private readonly barsPerSecond: number;
  private readonly concurrency: number;
  private readonly remoteCancelTimeoutMs: number;
  private readonly retryMaxDelayMs: number;
  private stopping = false;
  private readonly onError: (error: unknown) => void;
  /** Backtests of this process that are not finished yet. */
  private readonly local = new Map<string, { record: BacktestRecord; worker: Worker | null }>();
  private readonly queue: string[] = [];
  private cancelListener: KeptSubscription | null = null;

  constructor(options: BacktestRunnerOptions) {
    const { bus, store, barsPerSecond, concurrency, remoteCancelTimeoutMs = 5000, retryMaxDelayMs, onError } = options;
    this.retryMaxDelayMs = retryMaxDelayMs;
    this.bus = bus;
    this.store = store;
    this.barsPerSecond = barsPerSecond;
    this.concurrency = concurrency;
    this.remoteCancelTimeoutMs = remoteCancelTimeoutMs;
    this.onError = onError;
  }

  /** Listens for cancel requests from other instances (from when the bus is available). */
  start(): void {
    const onCancel = ({ payload }: { payload: { backtestId: string } }) => {
      if (this.local.has(payload.backtestId)) {
        this.finishLocal(payload.backtestId, 'CANCELLED', 'Cancelled on request').catch(this.onError);
      }
    };
    this.cancelListener = keepSubscribed(this.bus, 'backtestCancel', CANCEL_KEY, onCancel, {
      retryMs: this.retryMaxDelayMs,
      onError: this.onError,
    });
  }

  /** Whether this instance hears cancel requests (part of its readiness). */
  isListening(): boolean {
    return this.cancelListener?.active ?? false;
  }

  /** Queues a run; the caller has validated the request. */
  async startBacktest(ownerId: string, request: BacktestRequest): Promise<BacktestRecord> {
    const record: BacktestRecord = {
      id: randomUUID(),
      ownerId,
      strategyId: request.strategyId,
      symbol: request.symbol,
      status: 'QUEUED',
      progress: 0,
      processedBars: 0,
      totalBars: request.bars,
      equity: null,
      result: null,
      message: null,
      createdAt: new Date().toISOString(),
      position: null,
    };
    // Reported before it is queued: a run nobody could be told about (Redis away) never starts.
    await this.report(record);
    this.local.set(record.id, { record, worker: null });
    this.queue.push(record.id);
    const queued = { ...record };
    this.pump();
    return queued;
  }

  /**
   * Stops a visible backtest (the caller has checked visibility) and resolves with its final state.
   * A finished one is returned as it is.
   */
  async cancel(record: BacktestRecord): Promise<BacktestRecord> {
    if (this.local.has(record.id)) return this.finishLocal(record.id, 'CANCELLED', 'Cancelled on request');
    if (TERMINAL_BACKTEST_STATUSES.has(record.status)) return record;
    return this.cancelRemote(record);
  }

  /** Ends every local run as FAILED (the process is going away) and stops listening. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelListener?.stop();
    this.cancelListener = null;
    const ids = [...this.local.keys()];
    await Promise.all(ids.map((id) => this.finishLocal(id, 'FAILED', 'Interrupted: the server shut down').catch(this.onError)));
  }

  private pump(): void {
    while (this.queue.length > 0 && this.runningCount() < this.concurrency) {
      const id = this.queue.shift();
      const entry = id === undefined ? undefined : this.local.get(id);
      if (entry) this.run(entry);
    }
  }

  private runningCount(): number {
    let count = 0;
    for (const entry of this.local.values()) if (entry.worker) count += 1;
    return count;
  }

  private run(entry: { record: BacktestRecord; worker: Worker | null }): void {
    const { record } = entry;
    const job: BacktestJob = {
      strategyId: record.strategyId,
      symbol: record.symbol,
      bars: record.totalBars,
      barsPerSecond: this.barsPerSecond,
    };
    const worker = startBacktestWorker(job);
    entry.worker = worker;
    record.status = 'RUNNING';
    worker.on('message', (message: BacktestWorkerMessage) => this.onWorkerMessage(record.id, message));
    worker.on('error', (error) => {
      this.finishLocal(record.id, 'FAILED', `Backtest crashed: ${error.message}`).catch(this.onError);
    });
    worker.on('exit', (code) => {
      if (this.local.get(record.id)?.worker === worker) {
        this.finishLocal(record.id, 'FAILED', `Backtest worker exited with code ${code}`).catch(this.onError);
      }
    });
  }

  private onWorkerMessage(id: string, message: BacktestWorkerMessage): void {
    const entry = this.local.get(id);
    if (!entry) return;
    const { record } = entry;
    switch (message.type) {
      case 'progress':
        record.processedBars = message.processedBars;
        record.progress = message.totalBars === 0 ? 1 : message.processedBars / message.totalBars;
        record.equity = message.equity;
        this.report(record).catch(this.onError);
        return;
      case 'completed':
        record.result = { ...message.result, equityCurve: message.equityCurve };
        record.processedBars = record.totalBars;
        record.progress = 1;
        record.equity = 1 + message.result.totalReturn;
        this.finishLocal(id, 'COMPLETED', null).catch(this.onError);
        return;
      case 'failed':
        this.finishLocal(id, 'FAILED', message.message).catch(this.onError);
        return;
    }
  }

  private async finishLocal(id: string, status: BacktestStatus, message: string | null): Promise<BacktestRecord> {
    const entry = this.local.get(id);
    if (!entry) throw new Error(`backtest ${id} is not running here`);
    this.local.delete(id);
    const queued = this.queue.indexOf(id);
    if (queued >= 0) this.queue.splice(queued, 1);
    const { record, worker } = entry;
    entry.worker = null;
    if (worker) worker.terminate().catch(this.onError);
    record.status = status;
    record.message = message;
    this.pump();
    await this.reportFinal(record);
    return { ...record };
  }

  /**
   * A run's final state must reach its subscribers and the store: if the bus is unavailable, the
   * caller hears so at once, and the report is retried until it lands (the same event id each time,
   * so it is delivered once) unless the process is shutting down.
   */
  private async reportFinal(record: BacktestRecord): Promise<void> {
    try {
      await this.report(record);
    } catch (error) {
      if (isUnavailable(error) && !this.stopping) this.retryReport(record);
      throw error;
    }
  }

  private retryReport(record: BacktestRecord): void {
    setTimeout(() => {
      this.report(record).catch((error: unknown) => {
        if (isUnavailable(error) && !this.stopping) this.retryReport(record);
        else this.onError(error);
      });
    }, this.retryMaxDelayMs);
  }

  private async cancelRemote(record: BacktestRecord): Promise<BacktestRecord> {
    let settle: (record: BacktestRecord) => void = () => {};
    const finished = new Promise<BacktestRecord>((resolve) => (settle = resolve));
    // The terminal event itself says how the run ended (the store is written just after it).
    const stopListening = await this.bus.subscribe('backtestProgress', record.id, ({ payload, position }) => {
      if (!TERMINAL_BACKTEST_STATUSES.has(payload.status)) return;
      const { status, progress, processedBars, equity, message, result } = payload;
      settle({ ...record, status, progress, processedBars, equity, message, result, position });
    });
    const timer = setTimeout(() => settle(record), this.remoteCancelTimeoutMs);
    try {
      await this.bus.publish('backtestCancel', CANCEL_KEY, { backtestId: record.id });
      const current = await this.store.get(record.id);
      if (current && TERMINAL_BACKTEST_STATUSES.has(current.status)) settle(current);
      const outcome = await finished;
      if (TERMINAL_BACKTEST_STATUSES.has(outcome.status)) return outcome;
      // Nobody answered: the instance that ran it is gone, so the run is over; say so.
      const orphan = { ...outcome, status: 'CANCELLED' as const, message: 'Cancelled (the instance running it did not answer)' };
      await this.report(orphan);
      return orphan;
    } finally {
      clearTimeout(timer);
      stopListening();
    }
  }

  /**
   * Publishes the record's state as progress, then saves it with that event's position: a reader of
   * the store who subscribes after the saved cursor misses nothing and receives nothing twice.
   */
  private async report(record: BacktestRecord): Promise<void> {
    const event: BacktestProgressEvent = {
      backtestId: record.id,
      status: record.status,
      progress: record.progress,
      processedBars: record.processedBars,
      totalBars: record.totalBars,
      equity: record.equity,
      message: record.message,
      result: record.result,
      timestamp: new Date().toISOString(),
    };
    // The state's own id: a report retried after an ambiguous failure is stored and delivered once.
    const id = `${record.status}:${record.processedBars}`;
    const { position } = await this.bus.publish('backtestProgress', record.id, event, { id });
    record.position = position;
    await this.store.save(record);
  }
}
