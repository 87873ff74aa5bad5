import type { NextPayload } from './protocol-client.js';

/** One Server-Sent Event: its `id` (null when it has none), its `event` name and its data lines joined. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * A GraphQL subscription over SSE as a client sees it (`Accept: text/event-stream`, a GET with the
 * operation in the query string, or a POST with a JSON body as the web client sends it): the
 * response's text read in the background, its events, and the results of its `next` events.
 */
export class SseSubscription {
  text = '';
  /** The response's status and content type. */
  status = 0;
  contentType = '';
  /** True once the response has ended (by the server, or `close()`). */
  ended = false;

  private constructor(private readonly controller: AbortController) {}

  static async open(
    graphqlUrl: string,
    token: string,
    query: string,
    variables: Record<string, unknown> = {},
    method: 'GET' | 'POST' = 'GET',
    /** More request headers, e.g. `last-event-id` as a reconnecting `EventSource` sends it. */
    extraHeaders: Record<string, string> = {},
  ): Promise<SseSubscription> {
    const controller = new AbortController();
    const headers = { accept: 'text/event-stream', authorization: `Bearer ${token}`, ...extraHeaders };
    const response =
      method === 'GET'
        ? await fetch(`${graphqlUrl}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`, {
            headers,
            signal: controller.signal,
          })
        : await fetch(graphqlUrl, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify({ query, variables }),
            signal: controller.signal,
          });
    const subscription = new SseSubscription(controller);
    subscription.status = response.status;
    subscription.contentType = response.headers.get('content-type') ?? '';
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        subscription.text += decoder.decode(value, { stream: true });
      }
    })()
      .catch(() => {})
      .finally(() => (subscription.ended = true));
    return subscription;
  }

  /** The events received so far (comments left out). */
  get events(): SseEvent[] {
    return this.text
      .split('\n\n')
      .slice(0, -1)
      .map((block) => {
        const lines = block.split('\n').filter((line) => !line.startsWith(':'));
        const id = lines.find((line) => line.startsWith('id:'))?.slice('id:'.length).trim() ?? null;
        const event = lines.find((line) => line.startsWith('event:'))?.slice('event:'.length).trim() ?? '';
        const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice('data:'.length).trimStart());
        return { id, event, data: data.join('\n') };
      })
      .filter((event) => event.event !== '' || event.data !== '');
  }

  /** The results of the `next` events so far. */
  results<T = Record<string, unknown>>(): NextPayload<T>[] {
    return this.events.filter((event) => event.event === 'next').map((event) => JSON.parse(event.data) as NextPayload<T>);
  }

  get completed(): boolean {
    return this.events.some((event) => event.event === 'complete');
  }

  /** Waits until `check` holds (polling), or fails naming `what`. */
  async until(check: (subscription: SseSubscription) => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${this.text.slice(0, 2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.controller.abort();
  }
}
