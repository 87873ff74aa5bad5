import type { ServerResponse } from 'node:http';
import type { ViewerAuth } from '../../schema/context.js';
import { clientError } from '../error-masking.js';
import type { ConnectionStream } from './ws-stream.js';
import { Member, type Group, type Outcome } from './members.js';
import type { Payload } from './payload.js';

const COMPLETE = 'event: complete\ndata:\n\n';

/**
 * A subscriber on a Server-Sent Events response (GraphQL over SSE, "distinct connections" mode: one
 * operation per response). Its frames are whole events, the same bytes for every SSE member of the
 * group; it ends the way Yoga's own SSE does: an error as a `next` event with `errors`, then
 * `event: complete`, then the end of the response.
 */
export class SseMember extends Member {
  constructor(
    group: Group,
    auth: ViewerAuth,
    onEnd: (member: Member, outcome: Outcome) => void,
    readonly response: ServerResponse,
  ) {
    super(group, auth, onEnd);
  }

  get buffered(): number {
    return this.response.writableLength;
  }

  get open(): boolean {
    return !this.response.writableEnded && !this.response.destroyed;
  }

  frame(payload: Payload): Buffer {
    return payload.sse;
  }

  send(frame: Buffer): void {
    // A write after the end would be an 'error' event on the response; a frame for an ended member is dropped.
    if (this.open) this.response.write(frame);
  }

  stream(): ConnectionStream {
    return this.response;
  }

  protected finish(outcome: Outcome): void {
    if (!this.open) return;
    const error = outcome === 'done' ? '' : `event: next\ndata: ${JSON.stringify({ errors: [clientError(outcome.error).toJSON()] })}\n\n`;
    this.response.end(`${error}${COMPLETE}`);
  }
}
