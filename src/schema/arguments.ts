import { badUserInput } from '../auth/errors.js';
import { SYMBOL_PATTERN } from '../domain/symbols.js';
import { findStrategy } from '../domain/strategies.js';
import { quote, ValidationError } from '../publish/validation.js';

/** Checks of resolver arguments, each failing with a BAD_USER_INPUT that names the argument. */

export function checkSymbols(argument: string, symbols: readonly string[], max: number): string[] {
  if (symbols.length > max) throw badUserInput(`${argument} may name at most ${max} symbols (got ${symbols.length})`);
  for (const symbol of symbols) {
    if (!SYMBOL_PATTERN.test(symbol)) throw badUserInput(`${argument} has a malformed symbol ${quote(symbol)}`);
  }
  return [...new Set(symbols)];
}

export function checkStrategyIds(argument: string, ids: readonly string[]): string[] {
  for (const id of ids) {
    if (!findStrategy(id)) throw badUserInput(`${argument} names an unknown strategy ${quote(id)}`);
  }
  return [...new Set(ids)];
}

export function checkRange(argument: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badUserInput(`${argument} must be a whole number from ${min} to ${max} (got ${value})`);
  }
  return value;
}

/** A rate in events per second from `min` to `max`: anything else (not finite, zero, negative, absurd) is BAD_USER_INPUT. */
export function checkRate(argument: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw badUserInput(`${argument} must be a number of updates per second from ${min} to ${max} (got ${value})`);
  }
  return value;
}

/** Runs a publish and turns a domain validation failure into BAD_USER_INPUT. */
export async function asUserInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ValidationError) throw badUserInput(error.message);
    throw error;
  }
}
