import { vi } from 'vitest';
import { createTokenStore, type NetworkMonitor, type PageVisibility, type TokenStore } from '@titan-realtime/client';

/**
 * Doubles for the live connection's unit tests (with fake timers): the browser's network and page
 * visibility as switches, a token store on a scripted dev endpoint, and an SSE endpoint whose
 * streams the test writes. The browser suites (test/e2e/) use the real things.
 */

/** `navigator.onLine` and its events, switched by the test. */
export function fakeNetwork(online = true): NetworkMonitor & { set(online: boolean): void } {
  const listeners = new Set<(online: boolean) => void>();
  return {
    isOnline: () => online,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(value) {
      online = value;
      for (const listener of [...listeners]) listener(value);
    },
  };
}

/** Page Visibility, switched by the test. */
export function fakeVisibility(visible = true): PageVisibility & { set(visible: boolean): void } {
  const listeners = new Set<(visible: boolean) => void>();
  return {
    isVisible: () => visible,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(value) {
      visible = value;
      for (const listener of [...listeners]) listener(value);
    },
  };
}

/** A store whose dev endpoint answers with `devTokens` in turn (null: no dev endpoint). */
export async function devTokenStore(...devTokens: (string | null)[]): Promise<TokenStore> {
  let stored: string | null = null;
  const tokens = createTokenStore({
    fetchDevToken: async () => (devTokens.length > 1 ? devTokens.shift()! : (devTokens[0] ?? null)),
    storage: { read: () => stored, write: (token) => (stored = token), clear: () => (stored = null) },
  });
  if (devTokens[0] !== null) await tokens.acquire();
  return tokens;
}

/** Lets promise chains and zero-delay timers run (graphql-ws awaits a few times per message). */
export async function settleTimers(): Promise<void> {
  for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(0);
}

/** A fetch double answering SSE requests with streams the test writes; `aborted[i]` once request i's signal fired. */
export function sseServer() {
  const requests: { body: any; headers: Record<string, string> }[] = [];
  const aborted: boolean[] = [];
  const streams: ReadableStreamDefaultController<Uint8Array>[] = [];
  const fetch = vi.fn(async (_url: unknown, init: RequestInit) => {
    const index = requests.length;
    requests.push({ body: JSON.parse(String(init.body)), headers: init.headers as Record<string, string> });
    aborted.push(false);
    init.signal?.addEventListener('abort', () => (aborted[index] = true));
    const body = new ReadableStream<Uint8Array>({ start: (controller) => void streams.push(controller) });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  });
  const encoder = new TextEncoder();
  return {
    fetch: fetch as unknown as typeof globalThis.fetch,
    requests,
    aborted,
    send: (stream: number, result: unknown) => streams[stream]?.enqueue(encoder.encode(`event: next\ndata: ${JSON.stringify(result)}\n\n`)),
    end: (stream: number) => streams[stream]?.close(),
  };
}
