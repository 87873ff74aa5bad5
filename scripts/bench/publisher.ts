/**
 * The bench publisher: RATE price events a second for SECONDS seconds, spread round-robin over
 * SYMBOLS, each carrying its publish time (`timestamp`) and a per-symbol sequence number (`price`),
 * published through the TITAN bus in Redis (the same path for TITAN and the raw baseline). FIELDS
 * naming bid, ask or volume adds them to each tick (a larger payload).
 */
import { connectPublisher } from '../../src/publish/index.js';

const rate = Number(process.env.RATE);
const seconds = Number(process.env.SECONDS);
const symbols = (process.env.SYMBOLS ?? 'BENCH').split(',');
const fields = new Set((process.env.FIELDS ?? '').split(','));
const quote = fields.has('bid') || fields.has('ask');
const publisher = await connectPublisher({ redisUrl: process.env.REDIS_URL ?? '', historyMaxLen: 1000 });
const sequence = new Map<string, number>();
const total = Math.round(rate * seconds);
const started = Date.now();
let sent = 0;
let failed = 0;
let inFlight = 0;

await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    // Catch up to where the schedule says we should be: a steady rate, not bursts per tick.
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
    while (sent < due) {
      const symbol = symbols[sent % symbols.length] ?? 'BENCH';
      const next = (sequence.get(symbol) ?? 0) + 1;
      sequence.set(symbol, next);
      sent += 1;
      inFlight += 1;
      publisher
        .publishPrice({
          symbol,
          price: next,
          timestamp: new Date().toISOString(),
          ...(quote ? { bid: next - 0.25, ask: next + 0.25 } : {}),
          ...(fields.has('volume') ? { volume: 1000 + next } : {}),
        })
        .catch(() => (failed += 1))
        .finally(() => (inFlight -= 1));
    }
    if (sent >= total && inFlight === 0) {
      clearInterval(timer);
      resolve();
    }
  }, 5);
});
await publisher.close();
process.send?.({ type: 'published', sent, failed, perSymbol: Object.fromEntries(sequence) });
process.exit(0);
