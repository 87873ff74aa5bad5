import type { AnalyticsService } from '../analytics/analytics-service.js';
import { entitledStrategies } from '../auth/authorization.js';
import { badCursor, badUserInput, featureDisabled } from '../auth/errors.js';
import type { Viewer } from '../auth/viewer.js';
import { decodeCursor } from '../bus/cursor.js';
import type { StreamPosition } from '../bus/event-bus.js';
import { UnavailableError } from '../bus/unavailable.js';
import { checkStrategyIds, checkSymbols } from './arguments.js';
import type { Services } from './context.js';

/**
 * Most strategy ids one `strategyStats` may name (each must be a known strategy anyway): bounds the
 * work of checking a list before it is deduplicated.
 */
const MAX_STRATEGY_IDS = 100;

/** The analytics service, or FEATURE_DISABLED when this server runs with `ANALYTICS=off`. */
export function analyticsOf(services: Services): AnalyticsService {
  if (!services.analytics) throw featureDisabled('Analytics are off on this server (ANALYTICS=off)');
  return services.analytics;
}

export function checkSymbol(symbol: string): string {
  return checkSymbols('symbol', [symbol], 1)[0] ?? symbol;
}

/** The strategies whose figures to show: the requested ones (each entitled, else FORBIDDEN) or every entitled one. */
export function statsStrategies(viewer: Viewer, requested: readonly string[] | null | undefined): string[] {
  if (requested && requested.length > MAX_STRATEGY_IDS) {
    throw badUserInput(`strategyIds may name at most ${MAX_STRATEGY_IDS} strategies (got ${requested.length})`);
  }
  return entitledStrategies(viewer, requested ? checkStrategyIds('strategyIds', requested) : null);
}

export function decodeAfter(after: string | null | undefined): StreamPosition | null {
  if (!after) return null;
  const position = decodeCursor(after);
  if (!position) throw badCursor('Cursor is malformed or was not issued by this API');
  return position;
}

/** A followed key whose state is not in (its stream failed and is being followed again). */
export function rebuilding(what: string, retryAfterMs: number): UnavailableError {
  return new UnavailableError(`The analytics of ${what} are being rebuilt; retry after ${retryAfterMs} ms`, retryAfterMs);
}
