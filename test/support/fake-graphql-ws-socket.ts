import { CloseCode } from '../../src/transport/close-codes.js';

/**
 * A WebSocket double that plays the server's side of the graphql-transport-ws protocol for the
 * client's unit tests (the browser suites talk to a real server instead).
 */

export type Message = { type: string; id?: string; payload?: any };

export class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];
  /** What a new socket does by itself: `accept` opens and acks, `refuse` fails without opening, `manual` waits for the test. */
  static mode: 'accept' | 'refuse' | 'manual' = 'accept';
  static throwOnConstruct = false;
  /** Answer the client's keep-alive pings, as a live server does. */
  static answerPings = true;

  readyState = FakeSocket.CONNECTING;
  readonly sent: Message[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocol: string,
  ) {
    if (FakeSocket.throwOnConstruct) throw new DOMException('blocked', 'SecurityError');
    FakeSocket.all.push(this);
    if (FakeSocket.mode === 'accept') queueMicrotask(() => this.open());
    if (FakeSocket.mode === 'refuse') queueMicrotask(() => this.refuse());
  }

  static last(): FakeSocket {
    const socket = FakeSocket.all.at(-1);
    if (!socket) throw new Error('no socket');
    return socket;
  }

  send(data: string): void {
    const message = JSON.parse(data) as Message;
    this.sent.push(message);
    if (message.type === 'connection_init' && FakeSocket.mode !== 'manual') queueMicrotask(() => this.receive({ type: 'connection_ack' }));
    if (message.type === 'ping' && FakeSocket.answerPings) queueMicrotask(() => this.receive({ type: 'pong' }));
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.readyState = FakeSocket.CLOSED;
    queueMicrotask(() => this.onclose?.({ code, reason, wasClean: true }));
  }

  // The server's side.
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.({});
  }
  refuse(): void {
    this.readyState = FakeSocket.CLOSED;
    this.onerror?.({ type: 'error' });
    this.onclose?.({ code: CloseCode.Abnormal, reason: '', wasClean: false });
  }
  receive(message: Message): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: code !== 1006 });
  }
  subscribes(): Message[] {
    return this.sent.filter((message) => message.type === 'subscribe');
  }
  lastSubscribe(): Message {
    const message = this.subscribes().at(-1);
    if (!message) throw new Error('nothing subscribed on this socket');
    return message;
  }
  next(id: string, data: unknown): void {
    this.receive({ type: 'next', id, payload: { data } });
  }
}

