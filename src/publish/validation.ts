import { SYMBOL_PATTERN } from '../domain/symbols.js';
import type { PriceEvent, Side, SignalEvent } from '../domain/events.js';

/**
 * The one gate every event passes before it reaches the bus, whichever way it was published
 * (mutation, the TypeScript publisher, the Redis ingest stream). Problems name the field.
 */

export interface PriceInput {
  /** The publisher's idempotency key (see `PublishOptions.id`). */
  id?: string | null;
  symbol: string;
  price: number;
  bid?: number | null;
  ask?: number | null;
  volume?: number | null;
  timestamp?: string | null;
}

export interface SignalInput {
  /** Becomes the signal's id; also its idempotency key (see `PublishOptions.id`). */
  id?: string | null;
  strategyId: string;
  symbol: string;
  side: Side;
  price: number;
  confidence: number;
  reason?: string | null;
}

export class ValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid event: ${problems.join('; ')}`);
    this.name = 'ValidationError';
  }
}

const MAX_PRICE = 1e12;
const MAX_REASON_LENGTH = 500;

/** Longest part of a value a problem quotes: a symbol (20 characters) whole, never a 10 KB input. */
const MAX_QUOTED_LENGTH = 32;

/**
 * A value as a problem quotes it: a string as JSON, anything else as text, clipped to a short form
 * naming its length, so that a message never echoes an oversized input back.
 */
export function quote(value: unknown): string {
  const isText = typeof value === 'string';
  const text = isText ? value : String(value);
  if (text.length <= MAX_QUOTED_LENGTH) return isText ? JSON.stringify(text) : text;
  const head = `${text.slice(0, MAX_QUOTED_LENGTH)}…`;
  return `${isText ? JSON.stringify(head) : head} (${text.length} characters)`;
}

export function validatePrice(input: PriceInput, now: () => Date = () => new Date()): PriceEvent {
  const problems: string[] = [];
  checkSymbol(input.symbol, problems);
  checkPrice('price', input.price, problems);
  const bid = input.bid ?? input.price;
  const ask = input.ask ?? input.price;
  if (input.bid != null) checkPrice('bid', input.bid, problems);
  if (input.ask != null) checkPrice('ask', input.ask, problems);
  if (Number.isFinite(bid) && Number.isFinite(ask) && bid > ask) problems.push(`bid ${bid} is above ask ${ask}`);
  const volume = input.volume ?? 0;
  if (typeof volume !== 'number' || !Number.isFinite(volume) || volume < 0) {
    problems.push(`volume must be a finite number >= 0 (got ${quote(volume)})`);
  }
  const timestamp = input.timestamp == null ? now().toISOString() : normaliseTimestamp(input.timestamp, problems);
  checkEventId(input.id, problems);
  if (problems.length > 0) throw new ValidationError(problems);
  const tick = { symbol: input.symbol, price: input.price, bid, ask, volume, timestamp };
  // Only a tick its publisher named carries an id: the others' payloads stay as small as before.
  return input.id == null ? tick : { id: input.id, ...tick };
}

export function validateSignal(
  input: SignalInput,
  knownStrategy: (id: string) => boolean,
): Omit<SignalEvent, 'id' | 'timestamp'> & { id?: string } {
  const problems: string[] = [];
  checkEventId(input.id, problems);
  if (typeof input.strategyId !== 'string' || !knownStrategy(input.strategyId)) {
    problems.push(`strategyId ${quote(input.strategyId)} is not a known strategy`);
  }
  checkSymbol(input.symbol, problems);
  if (input.side !== 'BUY' && input.side !== 'SELL') problems.push(`side must be BUY or SELL (got ${quote(input.side)})`);
  checkPrice('price', input.price, problems);
  const { confidence } = input;
  if (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1) {
    problems.push(`confidence must be a number from 0 to 1 (got ${quote(confidence)})`);
  }
  const reason = input.reason ?? null;
  if (reason !== null && (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH)) {
    problems.push(`reason must be a string of at most ${MAX_REASON_LENGTH} characters`);
  }
  if (problems.length > 0) throw new ValidationError(problems);
  const fields = { strategyId: input.strategyId, symbol: input.symbol, side: input.side, price: input.price, confidence, reason };
  return input.id == null ? fields : { id: input.id, ...fields };
}

/** A publisher's event id: 1 to 128 printable ASCII characters. */
const EVENT_ID = /^[\x21-\x7e]{1,128}$/;

function checkEventId(id: unknown, problems: string[]): void {
  if (id != null && (typeof id !== 'string' || !EVENT_ID.test(id))) {
    problems.push('id must be 1 to 128 printable ASCII characters without spaces');
  }
}

export function checkSymbol(symbol: unknown, problems: string[]): void {
  if (typeof symbol !== 'string' || !SYMBOL_PATTERN.test(symbol)) {
    problems.push(
      `symbol ${quote(symbol)} is malformed: use 1-20 characters A-Z 0-9 . _ / - starting with a letter or digit`,
    );
  }
}

function checkPrice(field: string, value: unknown, problems: string[]): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_PRICE) {
    problems.push(`${field} must be a finite number above 0 and at most ${MAX_PRICE} (got ${quote(value)})`);
  }
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Accepts ISO-8601 date-times with a zone (`Z` or `±hh:mm`) that name a real day; returns the UTC ISO form. */
export function parseIsoDateTime(value: unknown): string | null {
  // Fast path for what publishers almost always send, the UTC form `toISOString` gives: a value that
  // round-trips through Date unchanged names a real instant (an impossible day would roll over).
  if (typeof value === 'string' && value.length === 24 && value.endsWith('Z')) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime()) && date.toISOString() === value) return value;
  }
  const match = typeof value === 'string' ? ISO_DATE_TIME.exec(value) : null;
  if (!match) return null;
  const [, year, month, day, hour] = match.map(Number);
  // Date.parse rolls impossible days over (Feb 30 → Mar 2): check the calendar date exists.
  const calendar = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0));
  if (calendar.getUTCMonth() !== (month ?? 0) - 1 || calendar.getUTCDate() !== day || (hour ?? 0) > 23) return null;
  const time = Date.parse(value as string);
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}

function normaliseTimestamp(value: string, problems: string[]): string {
  const iso = parseIsoDateTime(value);
  if (iso === null) problems.push(`timestamp must be an ISO-8601 date-time with a zone (got ${quote(value)})`);
  return iso ?? '';
}
