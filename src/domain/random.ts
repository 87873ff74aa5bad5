/**
 * A small seeded pseudo-random generator. Simulated prices and historical bars must be
 * reproducible (the same backtest run twice gives the same result), which `Math.random` cannot do.
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (mean 0, variance 1), by the Box-Muller transform. */
  normal(): number;
}

/**
 * Creates a mulberry32 generator: 32 bits of state, fast, and good enough for simulation
 * (it is not cryptographically secure, and nothing here needs it to be).
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  // Box-Muller yields two independent normals per pair of uniforms; keep the second for the next call.
  let spareNormal: number | null = null;

  function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  function normal(): number {
    if (spareNormal !== null) {
      const value = spareNormal;
      spareNormal = null;
      return value;
    }
    // 1 - next() lies in (0, 1], so the logarithm is always finite.
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  return { next, normal };
}

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Hashes text to a 32-bit seed with FNV-1a, so a symbol name can seed its own series. */
export function seedFromString(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}
