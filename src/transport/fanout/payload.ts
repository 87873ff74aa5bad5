import type { ExecutionResult } from 'graphql';
import { clientError } from '../error-masking.js';
import { pack } from '../wire-format.js';

const SSE_NEXT = Buffer.from('event: next\ndata: ');
const SSE_END = Buffer.from('\n\n');

/**
 * One event's result for a group, serialized once per encoding on first need and shared by every
 * member: JSON (as bytes, framed into each WebSocket member's frame), MessagePack, or a whole
 * Server-Sent Event (the same bytes for every SSE member: an SSE response carries one operation,
 * and the event's id is its cursor, the same for everyone).
 */
export class Payload {
  private readonly body: unknown;
  private jsonBytes: Buffer | null = null;
  private packedBytes: Buffer | null = null;
  private sseEvent: Buffer | null = null;

  constructor(
    result: ExecutionResult,
    /** The event's cursor: its SSE `id:`, which a reconnecting `EventSource` sends back as `Last-Event-ID`. */
    private readonly cursor: string | null,
  ) {
    const { errors, ...rest } = result;
    // Masked as Yoga masks what it executes itself: typed errors keep their code, internal ones say nothing of themselves.
    this.body = errors ? { ...rest, errors: errors.map((error) => clientError(error).toJSON()) } : rest;
  }

  get json(): Buffer {
    return (this.jsonBytes ??= Buffer.from(JSON.stringify(this.body)));
  }

  get packed(): Buffer {
    return (this.packedBytes ??= pack(this.body));
  }

  /** `id:` (the cursor), `event: next`, the JSON as its data, and the blank line that ends the event. */
  get sse(): Buffer {
    const id = this.cursor === null ? [] : [Buffer.from(`id: ${this.cursor}\n`)];
    return (this.sseEvent ??= Buffer.concat([...id, SSE_NEXT, this.json, SSE_END]));
  }
}
