import type { StreamPosition } from './event-bus.js';

/**
 * The `Cursor` scalar's wire form: an opaque, URL-safe token for a `StreamPosition`. Clients must
 * not parse it; the server must not trust it, so `decodeCursor` checks every part.
 */

const VERSION = 'c1';
const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function encodeCursor(position: StreamPosition): string {
  return Buffer.from(`${VERSION}:${position.epoch}:${position.offset}`).toString('base64url');
}

/** Returns the position, or `null` for anything this server did not issue. */
export function decodeCursor(cursor: string): StreamPosition | null {
  if (cursor.length === 0 || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const [version, epoch, offsetText, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (version !== VERSION || rest.length > 0 || !epoch || !EPOCH_PATTERN.test(epoch)) return null;
  if (!offsetText || !/^\d{1,15}$/.test(offsetText)) return null;
  return { epoch, offset: Number(offsetText) };
}
