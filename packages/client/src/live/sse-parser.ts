/**
 * A streaming parser for `text/event-stream` (the WHATWG "server-sent events" format), fed with
 * decoded text in chunks of any size: an event, a line or even a `\r\n` may be split between chunks.
 *
 * Yoga answers a subscription with `event: next\ndata: {json}\n\n` per result and
 * `event: complete\ndata:\n\n` at the end, and sends `:\n\n` comments as keep-alive pings.
 */

export interface ServerSentEvent {
  /** The `event:` field; `message` when the event had none. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** The `id:` field, if any. */
  readonly id?: string;
}

export interface SseParser {
  /** Feeds the next chunk of text; dispatches every event it completes. */
  push(chunk: string): void;
  /**
   * The stream ended. An event not terminated by a blank line is discarded, as the format says
   * (a stream cut mid-event must not deliver half an event).
   */
  end(): void;
}

/**
 * @param onEvent - called once per complete event, in order.
 * @param onComment - called for each comment line (`:` …), e.g. to note that a keep-alive arrived.
 */
export function createSseParser(onEvent: (event: ServerSentEvent) => void, onComment?: (text: string) => void): SseParser {
  let buffer = '';
  let first = true;
  let eventType = '';
  let data: string[] = [];
  let id: string | undefined;

  function dispatch(): void {
    // The format drops an event without `data:` lines; we keep one that names its type (a bare
    // `event: complete` must still end the stream).
    if (data.length > 0 || eventType !== '') {
      onEvent({ event: eventType || 'message', data: data.join('\n'), ...(id !== undefined && { id }) });
    }
    eventType = '';
    data = [];
  }

  function line(text: string): void {
    if (text === '') return dispatch();
    if (text.startsWith(':')) {
      onComment?.(text.slice(1));
      return;
    }
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) id = value;
        break;
      default:
        // `retry:` and unknown fields: ignored (we schedule our own retries).
        break;
    }
  }

  return {
    push(chunk) {
      buffer += chunk;
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer[i];
        if (char !== '\n' && char !== '\r') continue;
        // A `\r` at the very end may be the first half of `\r\n`: wait for the next chunk.
        if (char === '\r' && i === buffer.length - 1) break;
        line(buffer.slice(start, i));
        if (char === '\r' && buffer[i + 1] === '\n') i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    end() {
      // A lone trailing `\r` still ends its line; the unterminated event is dropped.
      if (buffer.endsWith('\r')) line(buffer.slice(0, -1));
      buffer = '';
      eventType = '';
      data = [];
    },
  };
}
