import { isUtf8 } from 'node:buffer';

/**
 * An entry of the ingest stream: as Redis returns it, what it must look like before its `data`
 * reaches validation, and what is kept of one that does not. Entries come from services we do not control: anything can arrive
 * (binary junk, megabytes, duplicated fields), and none of it may reach a log line, a metric label
 * or the rejected stream unclipped.
 */

export const INGEST_TYPES = ['price', 'signal'] as const;
export type IngestType = (typeof INGEST_TYPES)[number];

/**
 * Why an entry was rejected: the `reason` label of `titan_ingest_rejected_total`, so a fixed set.
 *
 * - `malformed`: field `type` or `data` missing or given twice
 * - `too_large`: a field over 16 KiB or an entry over 64 KiB
 * - `not_utf8`: `type` or `data` is not UTF-8 text
 * - `unknown_type`: `type` is not `price` or `signal`
 * - `bad_json`: `data` is not JSON
 * - `not_object`: `data` is JSON but not an object
 * - `invalid`: the event failed validation (the message names the fields)
 * - `publish_failed`: publishing failed for a reason other than Redis being unavailable (a bug; logged with its stack)
 */
export const REJECT_REASONS = [
  'malformed',
  'too_large',
  'not_utf8',
  'unknown_type',
  'bad_json',
  'not_object',
  'invalid',
  'publish_failed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Rejection {
  reason: RejectReason;
  /** For people: says what is wrong without echoing more than a few characters of the entry. */
  message: string;
}

export type ParsedEntry = { ok: true; type: IngestType; data: object } | ({ ok: false } & Rejection);

/** The largest valid `data` (a signal whose 500-character reason is all `\uXXXX` escapes) is under 4 KiB. */
export const MAX_FIELD_BYTES = 16 * 1024;
/** Room for fields a publisher adds for itself (trace ids and the like), which are ignored. */
export const MAX_ENTRY_BYTES = 64 * 1024;
/** How much of a reason reaches a log line or the rejected stream. */
const MAX_MESSAGE_CHARS = 500;
/** How much of the entry the rejected stream keeps: enough to recognise it, never megabytes. */
const COPIED_PAIRS = 16;
const COPIED_NAME_BYTES = 64;
const COPIED_VALUE_BYTES = 1024;

const TYPE = Buffer.from('type');
const DATA = Buffer.from('data');

/** Reads `type` and `data` from an entry's field/value list; other fields are ignored. */
export function parseEntry(fields: readonly Buffer[]): ParsedEntry {
  let total = 0;
  let type: Buffer | undefined;
  let data: Buffer | undefined;
  // Redis refuses an XADD with an odd number of arguments, so the list always comes in pairs.
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as Buffer;
    const value = fields[i + 1] as Buffer;
    total += name.length + value.length;
    const large = name.length > MAX_FIELD_BYTES ? name : value.length > MAX_FIELD_BYTES ? value : null;
    if (large) {
      return reject('too_large', `field ${quote(name, 40)} is ${large.length} bytes (at most ${MAX_FIELD_BYTES})`);
    }
    if (name.equals(TYPE) || name.equals(DATA)) {
      if ((name.equals(TYPE) ? type : data) !== undefined) return reject('malformed', `field "${name}" appears twice`);
      if (name.equals(TYPE)) type = value;
      else data = value;
    }
  }
  if (total > MAX_ENTRY_BYTES) return reject('too_large', `the entry is ${total} bytes (at most ${MAX_ENTRY_BYTES})`);
  if (type === undefined) return reject('malformed', 'field "type" is missing');
  if (data === undefined) return reject('malformed', 'field "data" is missing');
  if (!isUtf8(type)) return reject('not_utf8', 'field "type" is not UTF-8 text');
  if (!isUtf8(data)) return reject('not_utf8', 'field "data" is not UTF-8 text');
  const typeName = type.toString();
  if (!isIngestType(typeName)) return reject('unknown_type', `field "type" must be "price" or "signal" (got ${quote(type, 40)})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    // Not V8's message: it quotes the entry. The reason label says it was not JSON at all.
    return reject('bad_json', 'field "data" must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reject('not_object', `field "data" must be a JSON object (got ${kindOf(parsed)})`);
  }
  return { ok: true, type: typeName, data: parsed };
}

/**
 * What `<prefix>:ingest:rejected` keeps of a rejected entry: `source` (its id), `reason`, `error`,
 * then its first fields, each clipped, and `clipped` with the number of fields left out, if any.
 */
export function rejectedCopy(source: string, rejection: Rejection, fields: readonly Buffer[]): (string | Buffer)[] {
  const copy: (string | Buffer)[] = ['source', source, 'reason', rejection.reason, 'error', clipText(rejection.message)];
  const pairs = Math.ceil(fields.length / 2);
  for (let pair = 0; pair < Math.min(pairs, COPIED_PAIRS); pair += 1) {
    copy.push(clipBytes(fields[2 * pair] as Buffer, COPIED_NAME_BYTES), clipBytes(fields[2 * pair + 1] ?? Buffer.alloc(0), COPIED_VALUE_BYTES));
  }
  if (pairs > COPIED_PAIRS) copy.push('clipped', `${pairs - COPIED_PAIRS} more fields`);
  return copy;
}

/** `text` cut to `max` characters, saying how long it was. */
export function clipText(text: string, max = MAX_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  // Never end on half a surrogate pair: the log line stays valid UTF-8.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/** `bytes` cut to at most `max` bytes (not inside a UTF-8 sequence), saying how long it was. */
export function clipBytes(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return Buffer.concat([bytes.subarray(0, end), Buffer.from(`… (${bytes.length} bytes)`)]);
}

function isIngestType(value: string): value is IngestType {
  return (INGEST_TYPES as readonly string[]).includes(value);
}

/** At most `max` characters of bytes from the entry, quoted (so control characters are escaped). */
function quote(bytes: Buffer, max: number): string {
  // A UTF-8 character is at most 4 bytes: only the bytes that can be shown are decoded.
  const text = bytes.subarray(0, max * 4).toString();
  return JSON.stringify(text.length > max || bytes.length > max * 4 ? `${text.slice(0, max)}…` : text);
}

function kindOf(json: unknown): string {
  if (json === null) return 'null';
  return Array.isArray(json) ? 'an array' : `a ${typeof json}`;
}

function reject(reason: RejectReason, message: string): ParsedEntry {
  return { ok: false, reason, message };
}

/** An entry as Redis returns it; `fields` is null for one deleted (trimmed) while it was pending. */
export interface StreamEntry {
  id: string;
  fields: Buffer[] | null;
}

/** XREADGROUP's reply: null, or `[[stream, [[id, fields | null], …]]]`. */
export function parseReadReply(reply: unknown): StreamEntry[] {
  if (reply === null) return [];
  const [stream] = asArray(reply);
  const [, entries] = asArray(stream);
  return asArray(entries).map(parseStreamEntry);
}

/** XAUTOCLAIM's reply: `[next cursor, [[id, fields | null], …], deleted ids]` (the last from Redis 7). */
export function parseClaimReply(reply: unknown): { next: string; entries: StreamEntry[] } {
  const [next, entries] = asArray(reply);
  return { next: asBuffer(next).toString(), entries: asArray(entries).map(parseStreamEntry) };
}

function parseStreamEntry(entry: unknown): StreamEntry {
  const [id, fields] = asArray(entry);
  return { id: asBuffer(id).toString(), fields: fields === null ? null : asArray(fields).map(asBuffer) };
}

function asArray(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`unexpected stream reply from Redis: ${typeof value} instead of an array`);
  return value;
}

function asBuffer(value: unknown): Buffer {
  if (!Buffer.isBuffer(value)) throw new Error(`unexpected stream reply from Redis: ${typeof value} instead of bytes`);
  return value;
}
