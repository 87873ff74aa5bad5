import type { BacktestRecord } from '../domain/backtest.js';
import { forbidden, notFound } from './errors.js';
import type { Role, Viewer } from './viewer.js';

/** Every authorization rule of the API, applied by resolvers whatever the transport. */

export function requireRole(viewer: Viewer, ...roles: Role[]): void {
  if (!roles.some((role) => viewer.roles.has(role))) {
    throw forbidden(`this operation needs role ${roles.join(' or ')}`);
  }
}

/** A backtest is visible to its owner and to admins only. */
export function canSeeBacktest(viewer: Viewer, record: BacktestRecord): boolean {
  return record.ownerId === viewer.id || viewer.roles.has('admin');
}

/** The record if the viewer may see it; otherwise NOT_FOUND (never FORBIDDEN: ids are not disclosed). */
export function visibleBacktest(viewer: Viewer, record: BacktestRecord | null, id: string): BacktestRecord {
  if (!record || !canSeeBacktest(viewer, record)) throw notFound(`No backtest ${JSON.stringify(id)} is visible to you`);
  return record;
}
