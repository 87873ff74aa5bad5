import type { StartBacktestInput } from '../gql/graphql.js';

/** `StartBacktestInput.bars` bounds and default (schema.graphql). */
export const MIN_BARS = 100;
export const MAX_BARS = 1_000_000;
export const DEFAULT_BARS = 50_000;

export interface BacktestFormValues {
  strategyId: string;
  symbol: string;
  /** As typed. */
  bars: string;
}

export type BacktestFormErrors = Partial<Record<keyof BacktestFormValues, string>>;

export type BacktestFormCheck =
  | { ok: true; input: StartBacktestInput }
  | { ok: false; errors: BacktestFormErrors };

const BARS_MESSAGE = `Bars must be a whole number from ${MIN_BARS.toLocaleString()} to ${MAX_BARS.toLocaleString()}.`;

/** Checks the form before it is sent; the server checks again (and answers BAD_USER_INPUT). */
export function checkBacktestForm(values: BacktestFormValues): BacktestFormCheck {
  const errors: BacktestFormErrors = {};
  if (!values.strategyId) errors.strategyId = 'Choose a strategy.';
  if (!values.symbol) errors.symbol = 'Choose a symbol.';
  const text = values.bars.trim();
  const bars = text === '' ? Number.NaN : Number(text);
  if (!Number.isInteger(bars) || bars < MIN_BARS || bars > MAX_BARS) errors.bars = BARS_MESSAGE;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, input: { strategyId: values.strategyId, symbol: values.symbol, bars } };
}
