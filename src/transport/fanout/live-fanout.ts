import { Kind, getArgumentValues, getOperationAST, getVariableValues, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { ServerResponse } from 'node:http';
import type WebSocket from 'ws';
import type { Viewer } from '../../auth/viewer.js';
import { decodeCursor, encodeCursor } from '../../bus/cursor.js';
import type { Envelope } from '../../bus/event-bus.js';
import { RateCap } from '../../bus/rate-cap.js';
import { HISTORY_PAGE_SIZE } from '../../bus/resume.js';
import type { FanoutStats } from '../../observability/metrics.js';
import type { ViewerAuth } from '../../schema/context.js';
import { typedStreamError } from '../../schema/stream-errors.js';
import { planSubscription, SUBSCRIPTION_FIELDS, type PlanArguments, type PlanContext, type SubscriptionField } from '../../schema/subscription-plan.js';
import { clientError } from '../error-masking.js';
import { Backpressure, type FanoutCounts } from './backpressure.js';
import { WsMember, type BatchedEvent, type FanoutPlan, type Group, type Member, type Outcome } from './members.js';
import { eventExecutor } from './event-executor.js';
import { Payload } from './payload.js';
import { Replay } from './replay.js';
import { SocketWriter } from './socket-writer.js';
import { SseMember } from './sse-member.js';

export interface LiveFanoutOptions {
  /** What plans read: the bus, the backtest store, the symbol limit (the resolvers' services). */
  context: PlanContext;
  /** `WS_MAX_BUFFERED_BYTES` (a connection's full mark, for any transport) and `WS_WRITE_DELAY_MS`. */
  ws: { maxBufferedBytes: number; writeDelayMs: number };
  /** `SUBSCRIPTION_QUEUE_LIMIT`: live events held for a resumer while its history is replayed. */
  limits: { subscriptionQueueLimit: number };
  /** Called once per event and group as its frames are handed to the connections (delivery lag metric). */
  onSent?: (field: SubscriptionField, envelope: Envelope<SubscriptionField>) => void;
  /** A group's bus subscription could not start (its subscribers get the error), or an execution failed. */
  onError?: (error: unknown) => void;
  /**
   * The errors a subscriber is answered with (its group could not start, its subscription ended with
   * an error) or an event's execution sent to its group (once per execution), for the operation
   * metrics: these subscriptions run outside Yoga.
   */
  onClientErrors?: (args: ExecutionArgs, errors: readonly unknown[]) => void;
}

/**
 * The shared path of live subscriptions, on WebSocket and SSE alike: subscribers that sent the same
 * document and variables under the same authorization scope form a group (`members.ts`); each event
 * is executed once for the group and serialized once per encoding (`payload.ts`), and the same bytes
 * go to every member with only its framing around them (`socket-writer.ts` corks them). Per member,
 * visibility is re-checked at send and the field's overflow policy is applied by its connection's
 * buffer (`backpressure.ts`). A capped plan (`price(maxRate:)`) is capped once for its group, before
 * execution: subscribers with the same cap share the group, those with another cap or none are in
 * another. A subscriber that resumes (`after`, SSE's `Last-Event-ID`) joins its group at once and
 * is caught up by `replay.ts`. Every other operation takes the ordinary per-subscriber path.
 */
export class LiveFanout {
  private readonly groups = new Map<string, Group>();
  private readonly counts = Object.fromEntries(
    SUBSCRIPTION_FIELDS.map((field) => [field, { framesSent: 0, conflated: 0, slowConsumers: 0, replayed: 0 }]),
  ) as Record<SubscriptionField, FanoutCounts>;
  /** Groups with events of the current task to write. */
  private batched: Group[] = [];
  private flushScheduled = false;
  private readonly writer: SocketWriter;
  private readonly backpressure: Backpressure;
  private readonly replay: Replay;

  constructor(private readonly options: LiveFanoutOptions) {
    this.writer = new SocketWriter(options.ws.writeDelayMs);
    this.backpressure = new Backpressure(options.ws.maxBufferedBytes, this.writer, this.counts);
    this.replay = new Replay({
      bus: options.context.bus,
      writer: this.writer,
      backpressure: this.backpressure,
      counts: this.counts,
      backlogLimit: options.limits.subscriptionQueueLimit,
      pageSize: HISTORY_PAGE_SIZE,
    });
  }

  /**
   * How this operation joins the shared path, or null to use the ordinary path (which also reports
   * every error: bad arguments, a strategy or backtest the viewer may not see). `resumeAfter` (SSE's
   * `Last-Event-ID`) replaces the document's `after`.
   */
  async match(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: unknown,
    viewer: Viewer,
    resumeAfter: string | null = null,
  ): Promise<FanoutPlan | null> {
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return null;
    const [field] = operation.selectionSet.selections;
    if (field?.kind !== Kind.FIELD || (field.directives?.length ?? 0) > 0) return null;
    const name = field.name.value as SubscriptionField;
    if (!SUBSCRIPTION_FIELDS.includes(name)) return null;
    const definition = schema.getSubscriptionType()?.getFields()[name];
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (variables ?? {}) as Record<string, unknown>);
    if (!definition || coerced.errors) return null;
    const args = getArgumentValues(definition, field, coerced.coerced) as PlanArguments;
    if (resumeAfter !== null) args.after = resumeAfter;
    if (args.after && !decodeCursor(args.after)) return null;
    const afterArgument = field.arguments?.find((argument) => argument.name.value === 'after');
    const afterVariable = afterArgument?.value.kind === Kind.VARIABLE ? afterArgument.value.name.value : null;
    try {
      const plan = await planSubscription(name, args, viewer, this.options.context);
      return plan.keys.length === 0 ? null : { ...(plan as FanoutPlan), afterVariable };
    } catch {
      return null;
    }
  }

  /** The root value graphql-ws runs a matched operation with: its `subscribe` joins the group. */
  entry(socket: WebSocket, id: string, plan: FanoutPlan, auth: ViewerAuth): FanoutEntry {
    return new FanoutEntry(this, socket, id, plan, auth);
  }

  /**
   * Adds a WebSocket operation to its group and returns the iterator graphql-ws holds for it (see
   * `WsMember`), or the errors to answer with if the group could not start.
   */
  joinSocket(socket: WebSocket, id: string, plan: FanoutPlan, args: ExecutionArgs, auth: ViewerAuth): Promise<WsMember | ExecutionResult> {
    return this.join(plan, args, (group) => WsMember.create(group, auth, this.leave, socket, id));
  }

  /** Adds an SSE response to its group; it ends when the response closes. */
  joinStream(response: ServerResponse, plan: FanoutPlan, args: ExecutionArgs, auth: ViewerAuth): Promise<SseMember | ExecutionResult> {
    return this.join(plan, args, (group) => {
      const member = new SseMember(group, auth, this.leave, response);
      response.once('close', () => member.complete());
      return member;
    });
  }

  /** Per field: groups, members, rate-cap windows open and cumulative counts, to export as metrics and check that nothing leaks. */
  stats(): Record<SubscriptionField, FanoutStats> {
    const stats = Object.fromEntries(
      SUBSCRIPTION_FIELDS.map((field) => [field, { groups: 0, members: 0, capWindows: 0, ...this.counts[field] }]),
    ) as Record<SubscriptionField, FanoutStats>;
    for (const group of this.groups.values()) {
      stats[group.plan.field].groups += 1;
      stats[group.plan.field].members += group.members.size;
      stats[group.plan.field].capWindows += group.cap?.openWindows ?? 0;
    }
    return stats;
  }

  private async join<M extends Member>(plan: FanoutPlan, args: ExecutionArgs, create: (group: Group) => M): Promise<M | ExecutionResult> {
    const variables = { ...args.variableValues };
    if (plan.afterVariable) delete variables[plan.afterVariable];
    const key = JSON.stringify([plan.field, plan.scope, args.operationName ?? null, variables, printed(args.document)]);
    const group = this.groups.get(key) ?? this.openGroup(key, plan, args);
    const member = create(group);
    // A resumer holds live frames from the moment it joins: what is published from now on is held,
    // what was published before is in the history it reads next.
    if (plan.after) member.backlog = this.replay.holdFor(plan);
    group.members.add(member);
    try {
      await group.ready;
    } catch (error) {
      this.leave(member);
      const errors = [clientError(typedStreamError(error))];
      this.options.onClientErrors?.(args, errors);
      return { errors };
    }
    // The replay reports its own failures to the member; this only keeps an unexpected one from going unhandled.
    if (plan.after) this.replay.run(member, plan.after).catch((error: unknown) => member.fail(error));
    return member;
  }

  private openGroup(key: string, plan: FanoutPlan, args: ExecutionArgs): Group {
    const group: Group = { key, plan, args, execute: eventExecutor(args, plan.field), members: new Set(), unsubscribes: [], cap: null, ready: Promise.resolve(), tail: Promise.resolve(), batch: null };
    this.groups.set(key, group);
    const onLost = (error: unknown) => this.end(group, typedStreamError(error));
    const deliver = (envelope: Envelope<SubscriptionField>) => this.deliver(group, envelope);
    // Once per group, before execution: what the cap holds back is never executed.
    const cap = plan.capIntervalMs ? new RateCap(plan.capIntervalMs, (envelope: Envelope<SubscriptionField>) => envelope.key, deliver, () => (this.counts[plan.field].conflated += 1)) : null;
    group.cap = cap;
    const listener = cap ? (envelope: Envelope<SubscriptionField>) => cap.offer(envelope) : deliver;
    const { bus } = this.options.context;
    group.ready = Promise.allSettled(plan.keys.map((busKey) => bus.subscribe(plan.field, busKey, listener, onLost))).then(
      (results) => {
        for (const result of results) if (result.status === 'fulfilled') group.unsubscribes.push(result.value);
        const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failed) {
          // Keys that did subscribe are released with the group: nothing stays subscribed for nobody.
          this.options.onError?.(failed.reason);
          this.close(group);
          throw failed.reason;
        }
        if (group.members.size === 0) this.close(group);
      },
    );
    return group;
  }

  private deliver(group: Group, envelope: Envelope<SubscriptionField>): void {
    if (group.members.size === 0 || (group.plan.accept && !group.plan.accept(envelope))) return;
    const result = group.execute(envelope);
    if (!(result instanceof Promise)) return this.send(group, envelope, result);
    group.tail = group.tail
      .then(() => result)
      .then((settled) => this.send(group, envelope, settled))
      .catch((error: unknown) => this.options.onError?.(error));
  }

  private send(group: Group, envelope: Envelope<SubscriptionField>, result: ExecutionResult): void {
    if (result.errors) this.options.onClientErrors?.(group.args, result.errors);
    const event: BatchedEvent = { envelope, payload: new Payload(result, encodeCursor(envelope.position)), last: group.plan.isLast?.(envelope) ?? false };
    if (group.batch) group.batch.push(event);
    else {
      group.batch = [event];
      this.batched.push(group);
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flush);
  }

  /**
   * Writes the events that arrived in one task (one read from Redis can carry several) member by
   * member: a member's frames of the task leave together, in one write, at its turn in the loop.
   * Event by event, a member's second frame would wait behind every other member's first, or stay
   * corked until the whole task was done: at 5,000 members that is a loop's time added to the latency
   * of every event that arrives with another.
   */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const groups = this.batched;
    this.batched = [];
    for (const group of groups) {
      const events = group.batch ?? [];
      group.batch = null;
      this.writeEvents(group, events);
      for (const { envelope } of events) this.options.onSent?.(group.plan.field, envelope);
    }
  };

  private writeEvents(group: Group, events: readonly BatchedEvent[]): void {
    const counts = this.counts[group.plan.field];
    const frames: Buffer[] = [];
    for (const member of group.members) {
      let completed = false;
      for (const { envelope, payload, last } of events) {
        if (member.ended) break;
        if (member.replayedThrough?.covers(envelope.position) || !member.sees(envelope)) continue;
        if (member.backlog) {
          this.replay.hold(member, { position: envelope.position, key: envelope.key, frame: member.frame(payload), last });
          continue;
        }
        if (!this.backpressure.admits(member, envelope.key, payload)) continue;
        frames.push(member.frame(payload));
        if (last) {
          completed = true;
          break;
        }
      }
      if (frames.length > 0) {
        this.writer.writeAll(member, frames);
        counts.framesSent += frames.length;
        frames.length = 0;
      }
      if (completed) member.complete();
    }
  }

  /** Ends every member of a group with the same error (its history was lost). */
  private end(group: Group, error: unknown): void {
    for (const member of [...group.members]) member.fail(error);
  }

  /** Takes a member out of its group (one function for all members: it is passed to each), with how it ended if it did. */
  private readonly leave = (member: Member, outcome?: Outcome): void => {
    const { group } = member;
    if (!group.members.delete(member)) return;
    if (outcome !== undefined && outcome !== 'done') this.options.onClientErrors?.(group.args, [outcome.error]);
    member.backlog = null;
    this.backpressure.release(member);
    if (group.members.size === 0) this.close(group);
  };

  private close(group: Group): void {
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    for (const unsubscribe of group.unsubscribes.splice(0)) unsubscribe();
    group.cap?.close();
  }
}

/** One matched WebSocket operation waiting to join its group; an object rather than a closure, as one is kept per subscription. */
export class FanoutEntry {
  constructor(
    private readonly fanout: LiveFanout,
    private readonly socket: WebSocket,
    private readonly id: string,
    private readonly plan: FanoutPlan,
    private readonly auth: ViewerAuth,
  ) {}

  subscribe(args: ExecutionArgs): Promise<WsMember | ExecutionResult> {
    return this.fanout.joinSocket(this.socket, this.id, this.plan, args, this.auth);
  }
}

/** A document's identity for grouping: its source text when it has one. */
function printed(document: DocumentNode): string {
  return document.loc?.source.body ?? JSON.stringify(document);
}
