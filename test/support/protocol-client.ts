import WebSocket from 'ws';

export interface ProtocolMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

export interface NextPayload<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * A raw `graphql-transport-ws` client that queues what the server sends, so tests can assert on
 * exact frames and close codes (and send garbage no real client would).
 */
export class ProtocolClient {
  private readonly messages: ProtocolMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private closeEvent: { code: number; reason: string } | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as ProtocolMessage);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closeEvent = { code, reason: String(reason) };
      this.wake();
    });
  }

  /** Opens the socket; with `authorization` (or `init: true`) also sends `connection_init` and awaits the ack. */
  static async open(
    wsUrl: string,
    options: { authorization?: string; init?: boolean; protocol?: string } = {},
  ): Promise<ProtocolClient> {
    const socket = new WebSocket(wsUrl, options.protocol ?? 'graphql-transport-ws');
    const client = new ProtocolClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    if (options.authorization !== undefined || options.init) {
      client.send({ type: 'connection_init', payload: options.authorization ? { authorization: options.authorization } : {} });
    }
    return client;
  }

  static async connect(wsUrl: string, token: string): Promise<ProtocolClient> {
    const client = await ProtocolClient.open(wsUrl, { authorization: `Bearer ${token}` });
    await client.waitFor((message) => message.type === 'connection_ack');
    return client;
  }

  send(message: ProtocolMessage | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** Waits for a message matching `test` and removes it (and nothing else) from the queue. */
  async waitFor(test: (message: ProtocolMessage) => boolean, timeoutMs = 10_000): Promise<ProtocolMessage> {
    return this.until(() => {
      const index = this.messages.findIndex(test);
      return index < 0 ? undefined : this.messages.splice(index, 1)[0];
    }, timeoutMs, 'a matching message');
  }

  /** Like `waitFor`, but resolves with null once the socket has closed and no matching message is queued. */
  async waitForUnlessClosed(test: (message: ProtocolMessage) => boolean, timeoutMs = 10_000): Promise<ProtocolMessage | null> {
    return this.until(() => {
      const index = this.messages.findIndex(test);
      if (index >= 0) return this.messages.splice(index, 1)[0];
      return this.closeEvent ? null : undefined;
    }, timeoutMs, 'a matching message or the close');
  }

  /** The next `count` `next` payloads of subscription `id`, in order. */
  async collect<T = Record<string, unknown>>(id: string, count: number, timeoutMs = 10_000): Promise<NextPayload<T>[]> {
    const collected: NextPayload<T>[] = [];
    while (collected.length < count) {
      const message = await this.waitFor((m) => m.id === id && (m.type === 'next' || m.type === 'error' || m.type === 'complete'), timeoutMs).catch(
        (error: Error) => {
          throw new Error(`${error.message}: got ${collected.length} of ${count} events for ${id}`);
        },
      );
      if (message.type !== 'next') throw new Error(`subscription ${id} ended with ${JSON.stringify(message)} after ${collected.length} events`);
      collected.push(message.payload as NextPayload<T>);
    }
    return collected;
  }

  /**
   * Subscriptions start asynchronously: calls `publish` until a `next` for `id` arrives, proving that
   * delivery has started, and returns that first payload (whatever came after stays queued).
   */
  async untilLive<T = Record<string, unknown>>(id: string, publish: () => Promise<unknown>, attempts = 50): Promise<NextPayload<T>> {
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      await publish();
      const message = await this.waitFor((m) => m.id === id && m.type === 'next', 200).catch(() => null);
      if (message) return message.payload as NextPayload<T>;
    }
    throw new Error(`subscription ${id} delivered nothing after ${attempts} publishes`);
  }

  /** Every queued message of subscription `id`, without waiting. */
  drain(id: string): ProtocolMessage[] {
    const mine = this.messages.filter((m) => m.id === id);
    for (const message of mine) this.messages.splice(this.messages.indexOf(message), 1);
    return mine;
  }

  async waitForClose(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closeEvent ?? undefined, timeoutMs, 'the socket to close');
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
  }

  private until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = check();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A GraphQL request over HTTP POST. */
export async function execute<T = Record<string, unknown>>(
  graphqlUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

export interface ResumingFollowOptions<T> {
  wsUrl: string;
  token: string;
  query: string;
  variables: Record<string, unknown>;
  /** The cursor to resume after. */
  after: string;
  cursorOf: (payload: NextPayload<T>) => string;
  /** Stops once this returns true for everything received so far. */
  done: (received: NextPayload<T>[]) => boolean;
  /** Called on every (re)subscription with the cursor it resumes after. */
  onSubscribe?: (after: string) => void;
  timeoutMs?: number;
}

/**
 * What a well-behaved client does: subscribe after a cursor and, whenever the server closes the
 * connection (4008 slow consumer, 1001 going away), reconnect and resume after the last cursor.
 */
export async function followWithResume<T>(options: ResumingFollowOptions<T>): Promise<NextPayload<T>[]> {
  const { wsUrl, token, query, variables, cursorOf, done, onSubscribe = () => {}, timeoutMs = 45_000 } = options;
  const deadline = Date.now() + timeoutMs;
  const received: NextPayload<T>[] = [];
  let after = options.after;
  while (!done(received)) {
    if (Date.now() > deadline) throw new Error(`followWithResume timed out with ${received.length} events`);
    const client = await ProtocolClient.connect(wsUrl, token);
    try {
      client.subscribe('f', query, { ...variables, after });
      onSubscribe(after);
      while (!done(received)) {
        // A closed socket (e.g. its server was killed) ends this connection at once, not at the deadline.
        const message = await client.waitForUnlessClosed((m) => m.id === 'f', Math.max(1, deadline - Date.now())).catch(() => null);
        if (!message) break;
        if (message.type !== 'next') break;
        const payload = message.payload as NextPayload<T>;
        if (payload.errors) throw new Error(`subscription failed: ${JSON.stringify(payload.errors)}`);
        received.push(payload);
        after = cursorOf(payload);
      }
    } finally {
      client.close();
    }
  }
  return received;
}
