import { describe, expect, it } from 'vitest';

import { createRandom, seedFromString } from '../../src/domain/random.js';

function take(count: number, draw: () => number): number[] {
  return Array.from({ length: count }, draw);
}

describe('createRandom', () => {
  it('replays the same sequence for the same seed', () => {
    const first = createRandom(42);
    const second = createRandom(42);
    expect(take(100, first.next)).toEqual(take(100, second.next));
    expect(take(100, first.normal)).toEqual(take(100, second.normal));
  });

  it('gives different sequences for different seeds', () => {
    expect(take(10, createRandom(1).next)).not.toEqual(take(10, createRandom(2).next));
  });

  it('draws uniforms in [0, 1) with a mean near 1/2', () => {
    const samples = take(20_000, createRandom(7).next);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(1);
    expect(samples.reduce((sum, value) => sum + value, 0) / samples.length).toBeCloseTo(0.5, 2);
  });

  it('draws standard normals: mean near 0, variance near 1, all finite', () => {
    const samples = take(40_000, createRandom(11).normal);
    const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
    const variance = samples.reduce((sum, value) => sum + (value - mean) ** 2, 0) / samples.length;
    expect(samples.every(Number.isFinite)).toBe(true);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });
});

describe('seedFromString', () => {
  it('is the 32-bit FNV-1a hash', () => {
    // Reference values of FNV-1a 32.
    expect(seedFromString('')).toBe(0x811c9dc5);
    expect(seedFromString('a')).toBe(0xe40c292c);
    expect(seedFromString('foobar')).toBe(0xbf9cf968);
  });

  it('is deterministic and tells symbols apart', () => {
    expect(seedFromString('BTC-USD')).toBe(seedFromString('BTC-USD'));
    expect(seedFromString('BTC-USD')).not.toBe(seedFromString('ETH-USD'));
  });
});
