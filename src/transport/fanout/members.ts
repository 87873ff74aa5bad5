import type { ExecutionArgs } from 'graphql';
import type WebSocket from 'ws';
import type { Envelope, StreamPosition, Unsubscribe } from '../../bus/event-bus.js';
import type { RateCap } from '../../bus/rate-cap.js';
import type { ReplayHold, StreamPoint } from '../../bus/resume.js';
import type { ViewerAuth } from '../../schema/context.js';
import type { SubscriptionField, SubscriptionPlan } from '../../schema/subscription-plan.js';
import { isPacked, packedNextHead } from '../wire-format.js';
import { framePayload, tcpStreamOf, wireFrame, writesStraight, type ConnectionStream } from './ws-stream.js';
import type { EventExecutor } from './event-executor.js';
import type { Payload } from './payload.js';

/**
 * How one operation joins the shared path: its subscription plan (keys, scope, filter, visibility,
 * overflow, resume point, last event; see `schema/subscription-plan.ts`) and the variable that
 * carries `after`.
 */
export type FanoutPlan = SubscriptionPlan & {
  /** The variable that carries `after`: left out of the group key, every resumer has its own. */
  afterVariable: string | null;
};

/** Subscribers of the same operation, variables and authorization scope: one execution and one serialization per event. */
export interface Group {
  key: string;
  plan: FanoutPlan;
  args: ExecutionArgs;
  /** Runs the group's operation against an event (`event-executor.ts`). */
  execute: EventExecutor;
  members: Set<Member>;
  unsubscribes: Unsubscribe[];
  /** The plan's rate cap, in front of the group's delivery (one per group); null: every event. */
  cap: RateCap<Envelope<SubscriptionField>> | null;
  ready: Promise<void>;
  /** Keeps events in order when an execution is asynchronous. */
  tail: Promise<void>;
  /** The group's events of the current task, not yet written (see `LiveFanout.flush`); null when none. */
  batch: BatchedEvent[] | null;
}

/** An executed event waiting, with the others of its task, to be written to the group's members. */
export interface BatchedEvent {
  envelope: Envelope<SubscriptionField>;
  payload: Payload;
  /** The subscription ends after this event (a finished backtest). */
  last: boolean;
}

/** A live frame held back while its subscriber's history is replayed. */
export interface HeldFrame {
  position: StreamPosition;
  key: string;
  frame: Buffer;
  /** The subscription ends after this frame (a finished backtest). */
  last: boolean;
}

export type Outcome = { error: unknown } | 'done';

/**
 * One subscriber of a group, on whatever carries its frames (a WebSocket operation, an SSE
 * response), and its delivery state. Classes rather than closures: there is one per live
 * subscription, and its size is what an idle connection costs.
 */
export abstract class Member {
  /** Newest tick per symbol while the connection is too full to take more (conflating plans); framed when sent. */
  pending: Map<string, Payload> | null = null;
  flushTimer: NodeJS.Timeout | null = null;
  /** Live frames that arrive while a resuming subscriber's history is replayed; null once live. */
  backlog: ReplayHold<HeldFrame> | null = null;
  /**
   * Where a resumer's replay ended: a live event at or before it was replayed already (its live
   * delivery can arrive after the history showed it), so it is not sent again.
   */
  replayedThrough: StreamPoint | null = null;
  protected outcome: Outcome | null = null;

  constructor(
    readonly group: Group,
    readonly auth: ViewerAuth,
    /** Called once, as the subscription ends (before the client is told), with how it ended. */
    private readonly onEnd: (member: Member, outcome: Outcome) => void,
  ) {}

  /** Bytes written and not yet sent. */
  abstract readonly buffered: number;
  abstract readonly open: boolean;
  /** The frame of a payload for this member's encoding. */
  abstract frame(payload: Payload): Buffer;
  /** Writes a frame (through `SocketWriter`, which corks). */
  abstract send(frame: Buffer): void;
  /** The stream to cork while several frames are written; also identifies the connection. */
  abstract stream(): ConnectionStream | null;
  /** Tells the client the subscription ended: completed, or with an error. */
  protected abstract finish(outcome: Outcome): void;

  get ended(): boolean {
    return this.outcome !== null;
  }

  /**
   * Whether this member may see an event under its token as of now (a renewed token may see less).
   * A plan may end the subscription instead, by throwing its typed error (a backtest no longer visible).
   */
  sees(envelope: Envelope<SubscriptionField>): boolean {
    const { visible } = this.group.plan;
    if (!visible) return true;
    try {
      return visible(this.auth.viewer, envelope);
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /** Ends the subscription with an error. */
  fail(error: unknown): void {
    this.end({ error });
  }

  /** Ends the subscription: it is complete. */
  complete(): void {
    this.end('done');
  }

  private end(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.onEnd(this, outcome);
    this.finish(outcome);
  }
}

const DONE: IteratorResult<never> = { value: undefined, done: true };
const CLOSE_BRACE = Buffer.from('}');
/** ws sends a Buffer as a binary frame unless told: JSON frames are text (when a frame goes through ws). */
const TEXT = { binary: false };
const BINARY = { binary: true };

/**
 * A subscriber on a WebSocket: an operation id on a socket, JSON or MessagePack. It is also the
 * iterator graphql-ws holds for the operation: it yields nothing, since the group sends the frames;
 * it completes when the operation ends and rejects when the subscription has to end with an error
 * (graphql-ws then sends the `error` message).
 */
export class WsMember extends Member implements AsyncIterableIterator<never> {
  private waiter: { resolve: (result: IteratorResult<never>) => void; reject: (error: unknown) => void } | null = null;

  constructor(
    group: Group,
    auth: ViewerAuth,
    onEnd: (member: Member, outcome: Outcome) => void,
    readonly socket: WebSocket,
    /**
     * Everything of a frame but the shared payload: `{"id":"<id>","type":"next","payload":` as UTF-8
     * on JSON, the packed map head on MessagePack.
     */
    private readonly head: Buffer,
    private readonly packed: boolean,
  ) {
    super(group, auth, onEnd);
    this.tcp = writesStraight(socket) ? tcpStreamOf(socket) : null;
  }

  /** The socket's TCP stream when frames go straight to it (see `writesStraight`); null: through ws. */
  private readonly tcp: ConnectionStream | null;

  static create(group: Group, auth: ViewerAuth, onEnd: (member: Member, outcome: Outcome) => void, socket: WebSocket, id: string): WsMember {
    if (isPacked(socket)) return new WsMember(group, auth, onEnd, socket, packedNextHead(id), true);
    return new WsMember(group, auth, onEnd, socket, Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`), false);
  }

  get buffered(): number {
    // Straight, ws' sender holds nothing: what waits is in the stream.
    return this.tcp ? this.tcp.writableLength : this.socket.bufferedAmount;
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** The whole WebSocket frame, header included, in one buffer (see `wireFrame`). */
  frame(payload: Payload): Buffer {
    if (this.packed) return wireFrame([this.head, payload.packed], true);
    return wireFrame([this.head, payload.json, CLOSE_BRACE], false);
  }

  send(frame: Buffer): void {
    // Never after ws has begun to close: a data frame may not follow the close frame.
    if (this.tcp && !this.tcp.destroyed && this.socket.readyState === this.socket.OPEN) this.tcp.write(frame);
    else this.socket.send(framePayload(frame), this.packed ? BINARY : TEXT);
  }

  stream(): ConnectionStream | null {
    return this.tcp ?? tcpStreamOf(this.socket);
  }

  next(): Promise<IteratorResult<never>> {
    if (this.outcome === 'done') return Promise.resolve(DONE);
    if (this.outcome) return Promise.reject(this.outcome.error);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<never>> {
    this.complete();
    return Promise.resolve(DONE);
  }

  throw(): Promise<IteratorResult<never>> {
    return this.return();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<never> {
    return this;
  }

  protected finish(outcome: Outcome): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (!waiter) return;
    if (outcome === 'done') waiter.resolve(DONE);
    else waiter.reject(outcome.error);
  }
}
