/**
 * Reconnect delays for the WebSocket client: exponential growth with full jitter, so that many
 * clients dropped at the same moment (a deploy, a network blip) do not come back in lockstep.
 * Pure apart from the injected `random`; the session (`live/live-connection.ts`) sleeps the delay
 * and shows when the retry will happen.
 */

/** Exponents above this would overflow any sensible `max` anyway (2^31 · min). */
const MAX_STEP = 31;

/**
 * Delay before reconnect attempt `step` (0 for the first retry).
 *
 * Full jitter over an exponential window: `min + random · min(max, min · 2^step)`, capped at `max`.
 * The `min` floor keeps a flapping server from being hammered; the window doubles per step until
 * it reaches `max`.
 *
 * @param step - retries so far (graphql-ws passes 0 after the first retryable close); negative or
 *   fractional values are floored and clamped to 0.
 * @param min - smallest delay in ms (>= 0).
 * @param max - largest delay in ms (>= `min`).
 * @param random - a source of uniform numbers in [0, 1); `Math.random` unless testing.
 * @returns the delay in whole milliseconds, in `[min, max]`.
 */
export function backoff(
  step: number,
  min: number,
  max: number,
  random: () => number = Math.random,
): number {
  if (!(min >= 0) || !(max >= min)) {
    throw new RangeError(`backoff: expected 0 <= min <= max, got min=${min} max=${max}`);
  }
  const exponent = Math.min(MAX_STEP, Math.max(0, Math.floor(step) || 0));
  const window = Math.min(max, min * 2 ** exponent);
  return Math.min(max, Math.floor(min + random() * window));
}
