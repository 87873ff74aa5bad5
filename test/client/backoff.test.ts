import { describe, expect, it } from 'vitest';
import { backoff } from '@titan-realtime/client';

/** A `random` that always returns `value` (use 0.999… for "the top of the window"). */
const fixed = (value: number) => () => value;
const TOP = 1 - Number.EPSILON;

describe('backoff(step, min, max, random)', () => {
  it('returns min at the bottom of the window', () => {
    for (const step of [0, 1, 5, 20]) expect(backoff(step, 500, 20_000, fixed(0))).toBe(500);
  });

  it('doubles the jitter window per step until it reaches max', () => {
    const tops = [0, 1, 2, 3, 4, 5, 6].map((step) => backoff(step, 500, 20_000, fixed(TOP)));
    // min + min·2^step, capped at max
    expect(tops).toEqual([999, 1499, 2499, 4499, 8499, 16_499, 20_000]);
  });

  it('never exceeds max, even for huge steps', () => {
    expect(backoff(1_000, 500, 20_000, fixed(TOP))).toBe(20_000);
    expect(backoff(Number.MAX_SAFE_INTEGER, 1, 60_000, fixed(TOP))).toBe(60_000);
  });

  it('spreads delays over the whole window (full jitter)', () => {
    expect(backoff(3, 100, 10_000, fixed(0.5))).toBe(100 + 400); // window 800
    expect(backoff(3, 100, 10_000, fixed(0.25))).toBe(100 + 200);
  });

  it('stays within [min, max] for Math.random', () => {
    for (let step = 0; step < 40; step++) {
      for (let i = 0; i < 50; i++) {
        const delay = backoff(step, 250, 30_000);
        expect(delay).toBeGreaterThanOrEqual(250);
        expect(delay).toBeLessThanOrEqual(30_000);
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it('treats negative, fractional and NaN steps as their floor, at least 0', () => {
    expect(backoff(-3, 500, 20_000, fixed(TOP))).toBe(999);
    expect(backoff(Number.NaN, 500, 20_000, fixed(TOP))).toBe(999);
    expect(backoff(2.9, 500, 20_000, fixed(TOP))).toBe(backoff(2, 500, 20_000, fixed(TOP)));
  });

  it('allows min = max (a constant delay) and min = 0', () => {
    expect(backoff(4, 1_000, 1_000, fixed(TOP))).toBe(1_000);
    expect(backoff(4, 0, 1_000, fixed(TOP))).toBe(0); // 0 · 2^step stays 0
  });

  it('rejects bounds that make no sense', () => {
    expect(() => backoff(0, 2_000, 1_000)).toThrow(RangeError);
    expect(() => backoff(0, -1, 1_000)).toThrow(/min=-1/);
    expect(() => backoff(0, Number.NaN, 1_000)).toThrow(RangeError);
  });
});
