import type { BacktestRecord } from '../domain/backtest.js';
import { STRATEGIES } from '../domain/strategies.js';
import { forbidden, notFound } from './errors.js';
import type { Role, Viewer } from './viewer.js';

/**
 * Every authorization rule of the API, in one place. Resolvers apply them on every transport, and
 * live subscriptions re-apply them per event, so a renewed token takes effect at once.
 */

export function requireRole(viewer: Viewer, ...roles: Role[]): void {
  if (!roles.some((role) => viewer.roles.has(role))) {
    throw forbidden(`this operation needs role ${roles.join(' or ')}`);
  }
}

/** A backtest is visible to its owner and to admins only. */
export function canSeeBacktest(viewer: Viewer, record: Pick<BacktestRecord, 'ownerId'>): boolean {
  return record.ownerId === viewer.id || viewer.roles.has('admin');
}

/** The record if the viewer may see it; otherwise NOT_FOUND (never FORBIDDEN: ids are not disclosed). */
export function visibleBacktest(viewer: Viewer, record: BacktestRecord | null, id: string): BacktestRecord {
  if (!record || !canSeeBacktest(viewer, record)) throw notFound(`No backtest ${JSON.stringify(id)} is visible to you`);
  return record;
}

/** Signals of a strategy are visible unless the token's `strategies` claim leaves it out. */
export function canSeeStrategy(viewer: Viewer, strategyId: string): boolean {
  return viewer.strategies === null || viewer.strategies.has(strategyId);
}

/**
 * The strategies whose signals to show: the requested ones (each must be entitled, else FORBIDDEN),
 * or every entitled one.
 */
export function entitledStrategies(viewer: Viewer, requested: readonly string[] | null): string[] {
  if (requested === null) return STRATEGIES.map((strategy) => strategy.id).filter((id) => canSeeStrategy(viewer, id));
  const refused = requested.filter((id) => !canSeeStrategy(viewer, id));
  if (refused.length > 0) throw forbidden(`your token is not entitled to the signals of ${refused.join(', ')}`);
  return [...requested];
}
