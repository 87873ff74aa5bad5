/**
 * Reconnect delays: exponential growth with full jitter, so that many clients dropped at the same
 * moment (a deploy, a restarted server, a network blip) do not come back in lockstep but spread
 * over the whole window. Pure apart from the injected `random`; the session
 * (`live/live-connection.ts`) sleeps the delay and shows when the retry will happen.
 */

/** Exponents above this would overflow any sensible `max` anyway (2^31 · base). */
const MAX_STEP = 31;

/**
 * Delay before reconnect attempt `step` (0 for the first retry).
 *
 * Full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog): a uniform random delay
 * between 0 and the capped exponential step `min(max, base · 2^step)`. Spreading down to 0 (rather
 * than from a floor) is what keeps a crowd of clients from arriving together: their delays are
 * spread evenly over the window, which still doubles per step until it reaches `max`.
 *
 * @param step - retries so far (graphql-ws passes 0 after the first retryable close); negative or
 *   fractional values are floored and clamped to 0.
 * @param base - the first step's window in ms (>= 0); it doubles per step.
 * @param max - the largest window in ms (>= `base`).
 * @param random - a source of uniform numbers in [0, 1); `Math.random` unless testing.
 * @returns the delay in whole milliseconds, in `[0, min(max, base · 2^step)]`.
 */
export function backoff(
  step: number,
  base: number,
  max: number,
  random: () => number = Math.random,
): number {
  if (!(base >= 0) || !(max >= base)) {
    throw new RangeError(`backoff: expected 0 <= base <= max, got base=${base} max=${max}`);
  }
  const exponent = Math.min(MAX_STEP, Math.max(0, Math.floor(step) || 0));
  const window = Math.min(max, base * 2 ** exponent);
  return Math.floor(random() * window);
}
