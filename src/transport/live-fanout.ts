import {
  GraphQLError,
  Kind,
  execute,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type WebSocket from 'ws';
import type { Viewer } from '../auth/viewer.js';
import { decodeCursor } from '../bus/cursor.js';
import type { EventBus, Envelope, StreamPosition, Unsubscribe } from '../bus/event-bus.js';
import { historyPages, ReplayHold, StreamPoint, type OverflowPolicy } from '../bus/resume.js';
import type { FanoutField, FanoutStats } from '../observability/metrics.js';
import { typedStreamError } from '../schema/stream-errors.js';
import { planSubscription, type SubscriptionPlan } from '../schema/subscription-plan.js';
import { isPacked, pack, packedNextHead } from './wire-format.js';


export interface LiveFanoutOptions {
  bus: EventBus;
  /** Symbols one subscription may name. */
  maxSymbols: number;
  /**
   * Bytes that may wait in one socket's send buffer. Past it, a price subscriber gets only the
   * newest tick per symbol (conflation) until its socket drains to half; a signal subscriber ends
   * with SLOW_CONSUMER (the transport then closes the connection with 4008).
   */
  maxBufferedBytes: number;
  /**
   * How long a frame may wait so that later ones go to its socket in the same write. 0: until the
   * end of the current task (one read from Redis, say), so only events that arrived together are
   * joined. @default 0
   */
  writeDelayMs?: number;
  /**
   * Live events held for a subscriber that resumes (`after`) while its history is replayed. Past it,
   * prices keep the newest per symbol and signals end with SLOW_CONSUMER.
   */
  replayBacklogLimit: number;
  /** Events read from history per page while replaying. @default 500 */
  historyPageSize?: number;
  /** Called once per event and group as its frames are handed to the sockets (delivery lag metric). */
  onSent?: (field: FanoutField, envelope: Envelope<FanoutField>) => void;
  /** A group's bus subscription could not start (its subscribers get INTERNAL_SERVER_ERROR). */
  onError?: (error: unknown) => void;
}

/**
 * How one operation joins the shared path: its subscription plan (keys, scope, filter, visibility,
 * overflow, resume point; see `schema/subscription-plan.ts`) and the variable that carries `after`.
 */
export type FanoutPlan = SubscriptionPlan<FanoutField> & {
  /** The variable that carries `after`: left out of the group key, every resumer has its own. */
  afterVariable: string | null;
};

/** A live frame held back while its subscriber's history is replayed. */
interface HeldFrame {
  position: StreamPosition;
  key: string;
  frame: string | Buffer;
}

/** What a subscriber's token allows now: the connection's session (it changes when the token is renewed). */
export interface FanoutSession {
  readonly viewer: Viewer;
}

const DONE: IteratorResult<never> = { value: undefined, done: true };

/**
 * One subscriber (a socket and the id of its operation) and the iterator graphql-ws holds for that
 * operation: it yields nothing, since the group sends the frames; it completes when the operation
 * ends and rejects when the subscription has to end with an error. A class rather than closures:
 * there is one per live subscription, and its size is what an idle connection costs.
 */
class Member implements AsyncIterableIterator<never> {
  /** Newest tick per symbol, while the socket is too full to take more (prices only); framed when sent. */
  pending: Map<string, Payload> | null = null;
  flushTimer: NodeJS.Timeout | null = null;
  /** Live frames that arrive while a resuming subscriber's history is replayed; null once live. */
  backlog: ReplayHold<HeldFrame> | null = null;
  /**
   * Where a resumer's replay ended: a live event at or before it was replayed already (its live
   * delivery can arrive after the history showed it), so it is not sent again.
   */
  replayedThrough: StreamPoint | null = null;
  private waiter: { resolve: (result: IteratorResult<never>) => void; reject: (error: unknown) => void } | null = null;
  private outcome: { error: unknown } | 'done' | null = null;

  constructor(
    readonly group: Group,
    readonly socket: WebSocket,
    /** `{"id":"<id>","type":"next","payload":` — everything of the frame but the shared payload. */
    readonly head: string,
    /** The same for a socket on the MessagePack encoding (null on JSON). */
    readonly packedHead: Buffer | null,
    readonly session: FanoutSession,
    private readonly onEnd: (member: Member) => void,
  ) {}

  next(): Promise<IteratorResult<never>> {
    if (this.outcome === 'done') return Promise.resolve(DONE);
    if (this.outcome) return Promise.reject(this.outcome.error);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<never>> {
    this.end('done');
    return Promise.resolve(DONE);
  }

  throw(): Promise<IteratorResult<never>> {
    return this.return();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<never> {
    return this;
  }

  get ended(): boolean {
    return this.outcome !== null;
  }

  /** Ends the subscription with an error; graphql-ws sends it as the operation's `error` message. */
  fail(error: unknown): void {
    this.end({ error });
  }

  private end(outcome: { error: unknown } | 'done'): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.onEnd(this);
    const waiter = this.waiter;
    this.waiter = null;
    if (!waiter) return;
    if (outcome === 'done') waiter.resolve(DONE);
    else waiter.reject(outcome.error);
  }
}

/** Subscribers of the same operation, variables and authorization scope: one execution and one serialization per event. */
interface Group {
  key: string;
  plan: FanoutPlan;
  args: ExecutionArgs;
  members: Set<Member>;
  unsubscribes: Unsubscribe[];
  ready: Promise<void>;
  /** Keeps events in order when an execution is asynchronous. */
  tail: Promise<void>;
}

const FLUSH_RETRY_MS = 20;

type Counts = Pick<FanoutStats, 'framesSent' | 'conflated' | 'slowConsumers' | 'replayed'>;

/**
 * The shared fast path of live subscriptions over WebSocket: subscribers that sent the same
 * document and variables under the same authorization scope form a group; each event is executed
 * once for the group, serialized once per encoding, and the same bytes go to every member with only
 * its operation id framed around them. Per member, visibility is re-checked at send and the slow-
 * consumer policy of the field is applied by its socket's send buffer: prices conflate to the newest
 * tick per symbol, signals end with SLOW_CONSUMER (the client resumes by cursor). A subscriber that
 * resumes (`after`) joins its group at once, holds the group's live frames while its own history is
 * replayed, then sends those the replay did not cover: no gap, no duplicate. Every other operation
 * takes the ordinary per-subscriber path.
 */
export class LiveFanout {
  private readonly groups = new Map<string, Group>();
  /** Sockets written during the current task: their next frames are corked until it is done. */
  private readonly written = new Set<WebSocket>();
  /** TCP streams corked during the current task, uncorked together when it is done. */
  private corked: CorkableStream[] = [];
  private taskEndScheduled = false;
  private readonly counts: Record<FanoutField, Counts> = {
    price: { framesSent: 0, conflated: 0, slowConsumers: 0, replayed: 0 },
    signal: { framesSent: 0, conflated: 0, slowConsumers: 0, replayed: 0 },
  };

  private readonly writeDelayMs: number;

  constructor(private readonly options: LiveFanoutOptions) {
    this.writeDelayMs = options.writeDelayMs ?? 0;
  }

  /**
   * How this operation joins the shared path, or null to use the ordinary path (which also reports
   * every error: bad arguments, a strategy the viewer is not entitled to).
   */
  match(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: unknown, viewer: Viewer): FanoutPlan | null {
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return null;
    const [field] = operation.selectionSet.selections;
    if (field?.kind !== Kind.FIELD || (field.directives?.length ?? 0) > 0) return null;
    const name = field.name.value;
    if (name !== 'price' && name !== 'signal') return null;
    const definition = schema.getSubscriptionType()?.getFields()[name];
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (variables ?? {}) as Record<string, unknown>);
    if (!definition || coerced.errors) return null;
    const args = getArgumentValues(definition, field, coerced.coerced) as {
      symbols?: string[] | null;
      strategyIds?: string[] | null;
      after?: string | null;
    };
    if (args.after && !decodeCursor(args.after)) return null;
    const afterArgument = field.arguments?.find((argument) => argument.name.value === 'after');
    const afterVariable = afterArgument?.value.kind === Kind.VARIABLE ? afterArgument.value.name.value : null;
    try {
      // Widened to the fan-out's envelopes: `name` picked the plan, and groups never mix fields.
      const plan = planSubscription(name, args, viewer, this.options.maxSymbols) as unknown as SubscriptionPlan<FanoutField>;
      return plan.keys.length === 0 ? null : { ...plan, afterVariable };
    } catch {
      return null;
    }
  }

  /** The root value graphql-ws runs a matched operation with: its `subscribe` joins the group. */
  entry(socket: WebSocket, id: string, plan: FanoutPlan, session: FanoutSession): FanoutEntry {
    return new FanoutEntry(this, socket, id, plan, session);
  }

  /**
   * Adds the operation to its group and returns the iterator graphql-ws holds for it: it yields
   * nothing (frames are sent here), rejects if the subscription has to end with an error, and its
   * `return()` leaves the group.
   */
  async join(
    socket: WebSocket,
    id: string,
    plan: FanoutPlan,
    args: ExecutionArgs,
    session: FanoutSession,
  ): Promise<AsyncIterableIterator<never> | ExecutionResult> {
    const variables = { ...args.variableValues };
    if (plan.afterVariable) delete variables[plan.afterVariable];
    const key = JSON.stringify([plan.field, plan.scope, args.operationName ?? null, variables, printed(args.document)]);
    const group = this.groups.get(key) ?? this.openGroup(key, plan, args);
    // Joined rather than concatenated: one flat string per member, not a tree of pieces.
    const head = ['{"id":', JSON.stringify(id), ',"type":"next","payload":'].join('');
    const member = new Member(group, socket, head, isPacked(socket) ? packedNextHead(id) : null, session, this.leave);
    // A resumer holds live frames from the moment it joins: what is published from now on is held,
    // what was published before is in the history it reads next.
    if (plan.after) member.backlog = this.replayHold(plan.field);
    group.members.add(member);
    try {
      await group.ready;
    } catch (error) {
      this.leave(member);
      const typed = typedStreamError(error);
      return {
        errors: [
          typed instanceof GraphQLError ? typed : createGraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
        ],
      };
    }
    if (plan.after) void this.replay(member, plan.after);
    return member;
  }

  /** Per field: groups, members and cumulative counts, to export as metrics and check that nothing leaks. */
  stats(): Record<FanoutField, FanoutStats> {
    const stats: Record<FanoutField, FanoutStats> = {
      price: { groups: 0, members: 0, ...this.counts.price },
      signal: { groups: 0, members: 0, ...this.counts.signal },
    };
    for (const group of this.groups.values()) {
      stats[group.plan.field].groups += 1;
      stats[group.plan.field].members += group.members.size;
    }
    return stats;
  }

  private openGroup(key: string, plan: FanoutPlan, args: ExecutionArgs): Group {
    const group: Group = { key, plan, args, members: new Set(), unsubscribes: [], ready: Promise.resolve(), tail: Promise.resolve() };
    this.groups.set(key, group);
    const onLost = (error: unknown) => this.end(group, typedStreamError(error));
    group.ready = Promise.allSettled(
      plan.keys.map((busKey) => this.options.bus.subscribe(plan.field, busKey, (envelope) => this.deliver(group, envelope), onLost)),
    ).then((results) => {
      for (const result of results) if (result.status === 'fulfilled') group.unsubscribes.push(result.value);
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) {
        // Keys that did subscribe are released with the group: nothing stays subscribed for nobody.
        this.options.onError?.(failed.reason);
        this.close(group);
        throw failed.reason;
      }
      if (group.members.size === 0) this.close(group);
    });
    return group;
  }

  private deliver(group: Group, envelope: Envelope<FanoutField>): void {
    if (group.members.size === 0 || (group.plan.accept && !group.plan.accept(envelope))) return;
    // graphql-js executes the selection against the event, as its subscribe() does per event; Yoga's
    // executor is not used here, since for a subscription operation it would start a new subscription.
    const result = execute({ ...group.args, rootValue: envelope });
    if (isPromiseLike(result)) {
      group.tail = group.tail.then(() => result).then((settled) => this.send(group, envelope, settled as ExecutionResult));
    } else {
      this.send(group, envelope, result as ExecutionResult);
    }
  }

  private send(group: Group, envelope: Envelope<FanoutField>, result: ExecutionResult): void {
    const payload = new Payload(result);
    const counts = this.counts[group.plan.field];
    for (const member of group.members) {
      if (group.plan.visible && !group.plan.visible(member.session.viewer, envelope)) continue;
      if (member.replayedThrough?.covers(envelope.position)) continue;
      if (member.backlog) {
        this.holdBack(member, { position: envelope.position, key: envelope.key, frame: payload.frameFor(member) });
        continue;
      }
      if (member.pending || member.socket.bufferedAmount > this.options.maxBufferedBytes) {
        this.overflow(member, envelope.key, payload);
        continue;
      }
      this.write(member.socket, payload.frameFor(member));
      counts.framesSent += 1;
    }
    this.options.onSent?.(group.plan.field, envelope);
  }

  /**
   * Sends a frame. The first frame a socket gets in the current task goes out at once; further ones
   * in the same task go into its TCP stream, corked until the task is done. Events that arrive
   * together (a burst, or a backlog read from Redis in one go when the server falls behind) then cost
   * each socket one more write, one system call, however many they are: the cost that dominates a
   * delivery. With `writeDelayMs`, every frame waits that long, corked. Whatever else is sent on the
   * socket meanwhile (graphql-ws's own messages) queues behind, in order.
   */
  private write(socket: WebSocket, frame: string | Buffer): void {
    if (this.writeDelayMs === 0 && !this.written.has(socket)) {
      this.written.add(socket);
      this.scheduleTaskEnd();
      socket.send(frame);
      return;
    }
    const stream = (socket as WebSocketWithStream)._socket;
    if (stream && stream.writableCorked === 0 && !stream.destroyed) {
      stream.cork();
      this.corked.push(stream);
      this.scheduleTaskEnd();
    }
    socket.send(frame);
  }

  private scheduleTaskEnd(): void {
    if (this.taskEndScheduled) return;
    this.taskEndScheduled = true;
    if (this.writeDelayMs > 0) setTimeout(this.endTask, this.writeDelayMs);
    else queueMicrotask(this.endTask);
  }

  private readonly endTask = (): void => {
    this.taskEndScheduled = false;
    this.written.clear();
    const corked = this.corked;
    this.corked = [];
    for (const stream of corked) stream.uncork();
  };

  private overflow(member: Member, key: string, payload: Payload): void {
    if (member.group.plan.field === 'signal') {
      this.slowConsumer(member, `More than ${this.options.maxBufferedBytes} bytes waited to be sent`);
      return;
    }
    this.hold(member, key, payload);
  }

  private slowConsumer(member: Member, why: string): void {
    this.counts.signal.slowConsumers += 1;
    member.fail(createGraphQLError(`${why}; reconnect and resume after the last cursor received`, { extensions: { code: 'SLOW_CONSUMER' } }));
  }

  /** The hold of a resumer's live frames, bounded by the field's overflow policy (prices: newest per symbol). */
  private replayHold(field: FanoutField): ReplayHold<HeldFrame> {
    const policy: OverflowPolicy<HeldFrame> = field === 'price' ? { kind: 'conflate', keyOf: (held) => held.key } : { kind: 'disconnect' };
    return new ReplayHold(this.options.replayBacklogLimit, policy, (count) => (this.counts.price.conflated += count));
  }

  /** Holds a live frame for a member whose replay is running; bounded like any slow reader. */
  private holdBack(member: Member, held: HeldFrame): void {
    try {
      member.backlog?.hold(held);
    } catch (error) {
      this.counts.signal.slowConsumers += 1;
      member.fail(typedStreamError(error));
    }
  }

  /**
   * Sends a resuming member what was published after `after`, read from history page by page and
   * executed as the group executes live events, then the held live frames the history did not
   * reach; from then on the member takes the group's frames as they come.
   */
  private async replay(member: Member, after: StreamPosition): Promise<void> {
    const { group } = member;
    const { plan } = group;
    const counts = this.counts[plan.field];
    const point = new StreamPoint(after);
    try {
      let first = true;
      for await (const page of historyPages(this.options.bus, plan.field, plan.keys, after, this.options.historyPageSize ?? 500)) {
        if (!first && plan.field === 'signal' && member.socket.bufferedAmount > this.options.maxBufferedBytes) {
          this.slowConsumer(member, `More than ${this.options.maxBufferedBytes} bytes waited to be sent while replaying`);
          return;
        }
        first = false;
        for (const envelope of page) {
          if (member.ended) return;
          if (!point.admit(envelope.position)) continue;
          if (plan.accept && !plan.accept(envelope)) continue;
          if (plan.visible && !plan.visible(member.session.viewer, envelope)) continue;
          const result = (await execute({ ...group.args, rootValue: envelope })) as ExecutionResult;
          this.write(member.socket, new Payload(result).frameFor(member));
          counts.replayed += 1;
          counts.framesSent += 1;
        }
      }
    } catch (error) {
      member.fail(typedStreamError(error));
      return;
    }
    const held = member.backlog?.release() ?? [];
    member.backlog = null;
    member.replayedThrough = point;
    if (member.ended) return;
    for (const frame of held) {
      if (point.covers(frame.position)) continue;
      this.write(member.socket, frame.frame);
      counts.framesSent += 1;
    }
  }

  /**
   * Keeps only the newest tick per symbol for a full socket, and sends them once it drains. It keeps
   * the event's shared payload, not a frame: a reader that does not read may be offered every tick of
   * a storm, and framing each one for it would cost a string per tick and subscriber for nothing.
   */
  private hold(member: Member, symbol: string, payload: Payload): void {
    const pending = (member.pending ??= new Map());
    if (pending.has(symbol)) {
      this.counts.price.conflated += 1;
      // Moved to the end, so that ticks of several symbols leave in publish order (with one symbol
      // waiting there is no order to keep, and a delete would reallocate the map's table every tick).
      if (pending.size > 1) pending.delete(symbol);
    }
    pending.set(symbol, payload);
    if (member.flushTimer) return;
    const flush = () => {
      member.flushTimer = null;
      if (member.socket.readyState !== member.socket.OPEN) {
        member.pending = null;
        return;
      }
      if (member.socket.bufferedAmount > this.options.maxBufferedBytes / 2) {
        member.flushTimer = setTimeout(flush, FLUSH_RETRY_MS);
        return;
      }
      const newest = member.pending ?? new Map<string, Payload>();
      member.pending = null;
      for (const waiting of newest.values()) this.write(member.socket, waiting.frameFor(member));
      this.counts.price.framesSent += newest.size;
    };
    member.flushTimer = setTimeout(flush, FLUSH_RETRY_MS);
  }

  /** Ends every member of a group with the same error (its history was lost). */
  private end(group: Group, error: unknown): void {
    for (const member of [...group.members]) member.fail(error);
  }

  /** Takes a member out of its group (one function for all members: it is passed to each). */
  private readonly leave = (member: Member): void => {
    const { group } = member;
    if (!group.members.delete(member)) return;
    member.backlog = null;
    if (member.flushTimer) clearTimeout(member.flushTimer);
    member.pending = null;
    if (group.members.size === 0) this.close(group);
  };

  private close(group: Group): void {
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    for (const unsubscribe of group.unsubscribes.splice(0)) unsubscribe();
  }
}

/** One matched operation waiting to join its group; an object rather than a closure, as one is kept per subscription. */
export class FanoutEntry {
  constructor(
    private readonly fanout: LiveFanout,
    private readonly socket: WebSocket,
    private readonly id: string,
    private readonly plan: FanoutPlan,
    private readonly session: FanoutSession,
  ) {}

  subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<never> | ExecutionResult> {
    return this.fanout.join(this.socket, this.id, this.plan, args, this.session);
  }
}

/** One event's result, serialized once per encoding on first need, framed per member. */
class Payload {
  private readonly body: unknown;
  private json: string | null = null;
  private packed: Buffer | null = null;

  constructor(result: ExecutionResult) {
    const { errors, ...rest } = result;
    this.body = errors ? { ...rest, errors: errors.map((error) => error.toJSON()) } : rest;
  }

  frameFor(member: Member): string | Buffer {
    if (member.packedHead) return Buffer.concat([member.packedHead, (this.packed ??= pack(this.body))]);
    return `${member.head}${(this.json ??= JSON.stringify(this.body))}}`;
  }
}

/** The part of a TCP stream corking needs. */
interface CorkableStream {
  readonly writableCorked: number;
  readonly destroyed: boolean;
  cork(): void;
  uncork(): void;
}

/** ws keeps the socket's TCP stream as `_socket` (not typed, stable across ws versions). */
type WebSocketWithStream = WebSocket & { _socket?: CorkableStream };

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** A document's identity for grouping: its source text when it has one. */
function printed(document: DocumentNode): string {
  return document.loc?.source.body ?? JSON.stringify(document);
}
