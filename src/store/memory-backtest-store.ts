import type { BacktestRecord, BacktestStore } from '../domain/backtest.js';

/** Backtests of this process only; the default when no Redis is configured. */
export class MemoryBacktestStore implements BacktestStore {
  private readonly records = new Map<string, BacktestRecord>();

  async save(record: BacktestRecord): Promise<void> {
    this.records.set(record.id, structuredClone(record));
  }

  async get(id: string): Promise<BacktestRecord | null> {
    const record = this.records.get(id);
    return record ? structuredClone(record) : null;
  }

  async listByOwner(ownerId: string): Promise<BacktestRecord[]> {
    return [...this.records.values()]
      .filter((record) => record.ownerId === ownerId)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map((record) => structuredClone(record));
  }

  async close(): Promise<void> {}
}
