/**
 * A simulated live market: each symbol's mid price follows a driftless geometric Brownian motion,
 * quoted with a bid/ask spread. The per-symbol profile and the GBM step are exported so the
 * historical bar series (`bar-series.ts`) moves like the live feed.
 */

import type { PriceEvent } from './events.js';
import { createRandom, seedFromString, type Random } from './random.js';

export interface SymbolProfile {
  /** Price the simulation starts from. */
  startPrice: number;
  /** Annualised volatility of log returns (0.6 is 60 %). */
  annualVolatility: number;
  /** Quoted bid/ask spread in basis points of the mid price. */
  spreadBps: number;
}

// Crypto trades with wider spreads than large-cap equities.
const CRYPTO_SPREAD_BPS = 6;
const EQUITY_SPREAD_BPS = 2;

const KNOWN_PROFILES: ReadonlyMap<string, SymbolProfile> = new Map([
  ['BTC-USD', { startPrice: 65_000, annualVolatility: 0.6, spreadBps: CRYPTO_SPREAD_BPS }],
  ['ETH-USD', { startPrice: 3_400, annualVolatility: 0.7, spreadBps: CRYPTO_SPREAD_BPS }],
  ['SOL-USD', { startPrice: 150, annualVolatility: 0.9, spreadBps: CRYPTO_SPREAD_BPS }],
  ['AAPL', { startPrice: 190, annualVolatility: 0.25, spreadBps: EQUITY_SPREAD_BPS }],
  ['MSFT', { startPrice: 420, annualVolatility: 0.22, spreadBps: EQUITY_SPREAD_BPS }],
]);

const DEFAULT_PROFILE: SymbolProfile = { startPrice: 100, annualVolatility: 0.4, spreadBps: 4 };

/** The simulation profile of a symbol; unknown symbols get a generic one. */
export function symbolProfile(symbol: string): SymbolProfile {
  return KNOWN_PROFILES.get(symbol) ?? DEFAULT_PROFILE;
}

/**
 * One GBM step over `years` of simulated time. The drift is zero and the -σ²/2 term keeps the
 * expected price constant, so a long demo neither trends up nor down on average.
 */
export function advanceGeometricBrownianMotion(
  price: number,
  annualVolatility: number,
  years: number,
  random: Random,
): number {
  const variance = annualVolatility * annualVolatility * years;
  return price * Math.exp(-variance / 2 + Math.sqrt(variance) * random.normal());
}

/**
 * Each live tick advances simulated time by one minute. Real time would make prices look frozen
 * (BTC moves ~0.005 % in a quarter second); a minute per tick moves BTC by ~$50 a tick, visible
 * on a screen without being absurd.
 */
const SIMULATED_YEARS_PER_TICK = 1 / (365 * 24 * 60);

/** Typical traded value of one tick, in USD; volume in units is this divided by the price. */
const TYPICAL_TICK_NOTIONAL = 25_000;

/** Two decimals for prices of at least 1 (cents); four significant digits below that. */
function priceDecimals(price: number): number {
  return price >= 1 ? 2 : Math.min(12, 3 - Math.floor(Math.log10(price)));
}

function roundTo(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

export interface PriceFeedOptions {
  /** Symbols to quote; each gets its own random stream, so adding one does not change the others' paths. */
  symbols: readonly string[];
  /** Ticks per second per symbol (`FEED_TICKS_PER_SECOND`). */
  ticksPerSecond: number;
  /** Receives each tick; a rejected promise is reported to onError, the feed keeps going. */
  publish: (tick: PriceEvent) => Promise<unknown>;
  /** Called with every error from `publish`. */
  onError: (error: unknown) => void;
  /** Seed of the simulated paths. @default seedFromString(symbols.join()) */
  seed?: number;
}

interface SymbolState {
  symbol: string;
  profile: SymbolProfile;
  random: Random;
  mid: number;
}

export class PriceFeed {
  private readonly states: SymbolState[];
  private readonly intervalMs: number;
  private readonly publish: (tick: PriceEvent) => Promise<unknown>;
  private readonly onError: (error: unknown) => void;
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;

  constructor(options: PriceFeedOptions) {
    const { symbols, ticksPerSecond, publish, onError, seed = seedFromString(symbols.join()) } = options;
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) {
      throw new RangeError(`ticksPerSecond must be a positive number, got ${ticksPerSecond}`);
    }
    this.intervalMs = 1000 / ticksPerSecond;
    this.publish = publish;
    this.onError = onError;
    this.states = [...new Set(symbols)].map((symbol) => {
      const profile = symbolProfile(symbol);
      return {
        symbol,
        profile,
        random: createRandom(seed ^ seedFromString(symbol)),
        mid: profile.startPrice,
      };
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // Stagger the symbols across one interval so they do not all publish in the same millisecond.
    this.states.forEach((state, index) => {
      const offsetMs = (this.intervalMs * (index + 0.5)) / this.states.length;
      const firstTick = setTimeout(() => {
        this.timers.delete(firstTick);
        this.tick(state);
        const interval = setInterval(() => this.tick(state), this.intervalMs);
        this.timers.add(interval);
      }, offsetMs);
      this.timers.add(firstTick);
    });
  }

  stop(): void {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private tick(state: SymbolState): void {
    const { profile, random } = state;
    state.mid = advanceGeometricBrownianMotion(state.mid, profile.annualVolatility, SIMULATED_YEARS_PER_TICK, random);

    const decimals = priceDecimals(state.mid);
    const tickSize = 10 ** -decimals;
    const price = roundTo(state.mid, decimals);
    // At least one price increment each side, so rounding can never make bid meet ask.
    const halfSpreadTicks = Math.max(1, Math.round((price * profile.spreadBps) / 20_000 / tickSize));
    const halfSpread = halfSpreadTicks * tickSize;
    const volume = (TYPICAL_TICK_NOTIONAL / price) * Math.exp(0.8 * random.normal());

    const tick: PriceEvent = {
      symbol: state.symbol,
      price,
      bid: roundTo(price - halfSpread, decimals),
      ask: roundTo(price + halfSpread, decimals),
      volume: Number(volume.toPrecision(4)),
      timestamp: new Date().toISOString(),
    };
    try {
      this.publish(tick).catch(this.onError);
    } catch (error) {
      // A publish that throws before returning its promise is reported the same way.
      this.onError(error);
    }
  }
}
