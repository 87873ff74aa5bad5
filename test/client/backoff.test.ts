import { describe, expect, it } from 'vitest';
import { backoff } from '@titan-realtime/client';

/** A `random` that always returns `value` (use 0.999… for "the top of the window"). */
const fixed = (value: number) => () => value;
const TOP = 1 - Number.EPSILON;

describe('backoff(step, base, max, random): full jitter', () => {
  it('returns 0 at the bottom of the window, at every step', () => {
    for (const step of [0, 1, 5, 20]) expect(backoff(step, 500, 20_000, fixed(0))).toBe(0);
  });

  it('doubles the window per step until it reaches max', () => {
    const tops = [0, 1, 2, 3, 4, 5, 6].map((step) => backoff(step, 500, 20_000, fixed(TOP)));
    // base·2^step, capped at max (the top itself is never reached: random() < 1)
    expect(tops).toEqual([499, 999, 1_999, 3_999, 7_999, 15_999, 19_999]);
  });

  it('never exceeds max, even for huge steps', () => {
    expect(backoff(1_000, 500, 20_000, fixed(TOP))).toBe(19_999);
    expect(backoff(Number.MAX_SAFE_INTEGER, 1, 60_000, fixed(TOP))).toBe(59_999);
  });

  it('spreads delays over the whole window, from 0', () => {
    expect(backoff(3, 100, 10_000, fixed(0.5))).toBe(400); // window 800
    expect(backoff(3, 100, 10_000, fixed(0.25))).toBe(200);
  });

  it('spreads a crowd of clients over the window instead of bunching them at its floor', () => {
    const delays = Array.from({ length: 2_000 }, () => backoff(4, 500, 20_000)); // window 8,000
    const quarters = [0, 0, 0, 0];
    for (const delay of delays) quarters[Math.floor(delay / 2_000)]! += 1;
    // Uniform: about 500 in each quarter of the window (the first quarter included).
    for (const count of quarters) expect(count).toBeGreaterThan(350);
  });

  it('stays within [0, max] and whole for Math.random', () => {
    for (let step = 0; step < 40; step++) {
      for (let i = 0; i < 50; i++) {
        const delay = backoff(step, 250, 30_000);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(30_000, 250 * 2 ** step));
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it('treats negative, fractional and NaN steps as their floor, at least 0', () => {
    expect(backoff(-3, 500, 20_000, fixed(TOP))).toBe(499);
    expect(backoff(Number.NaN, 500, 20_000, fixed(TOP))).toBe(499);
    expect(backoff(2.9, 500, 20_000, fixed(TOP))).toBe(backoff(2, 500, 20_000, fixed(TOP)));
  });

  it('allows base = max (a constant window) and base = 0 (no wait)', () => {
    expect(backoff(4, 1_000, 1_000, fixed(TOP))).toBe(999);
    expect(backoff(4, 0, 1_000, fixed(TOP))).toBe(0); // 0 · 2^step stays 0
  });

  it('rejects bounds that make no sense', () => {
    expect(() => backoff(0, 2_000, 1_000)).toThrow(RangeError);
    expect(() => backoff(0, -1, 1_000)).toThrow(/base=-1/);
    expect(() => backoff(0, Number.NaN, 1_000)).toThrow(RangeError);
  });
});
