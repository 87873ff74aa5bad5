import {
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
import type WebSocket from 'ws';
import type { EventBus, Envelope, Unsubscribe } from '../bus/event-bus.js';
import { checkSymbols } from '../schema/arguments.js';

export interface PriceFanoutOptions {
  bus: EventBus;
  /** Symbols one subscription may name. */
  maxSymbols: number;
  /**
   * Bytes that may wait in one socket's send buffer. Past it, the socket gets only the newest tick
   * per symbol (conflation) until it drains to half.
   */
  maxBufferedBytes: number;
}

/** One subscriber: a socket and the id of its operation, and what waits while its socket is full. */
interface Member {
  socket: WebSocket;
  /** `{"id":"<id>","type":"next","payload":` — everything of the frame but the shared payload. */
  head: string;
  /** Newest frame per symbol, while the socket is too full to take more. */
  pending: Map<string, string> | null;
  flushTimer: NodeJS.Timeout | null;
}

/** Subscribers of the same operation and variables: one execution and one serialization per event. */
interface Group {
  key: string;
  args: ExecutionArgs;
  members: Set<Member>;
  unsubscribes: Unsubscribe[];
  ready: Promise<void>;
  /** Keeps events in order when an execution is asynchronous. */
  tail: Promise<void>;
}

const FLUSH_RETRY_MS = 20;

/**
 * The shared fast path of live `price` subscriptions over WebSocket: subscribers that sent the same
 * document and variables form a group; each event is executed once for the group, serialized once,
 * and the same bytes go to every member with only its operation id framed around them. The slow-
 * consumer policy of prices (newest tick per symbol) is applied per socket by its send buffer.
 * Resumes (`after`) and every other operation take the ordinary per-subscriber path.
 */
export class PriceFanout {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly options: PriceFanoutOptions) {}

  /** The symbols of a live `price` subscription this path can serve, or null to use the ordinary path. */
  match(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: unknown): string[] | null {
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return null;
    const [field] = operation.selectionSet.selections;
    if (field?.kind !== Kind.FIELD || field.name.value !== 'price' || (field.directives?.length ?? 0) > 0) return null;
    const definition = schema.getSubscriptionType()?.getFields().price;
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (variables ?? {}) as Record<string, unknown>);
    if (!definition || coerced.errors) return null;
    const args = getArgumentValues(definition, field, coerced.coerced) as { symbols?: string[]; after?: string | null };
    if (args.after || !args.symbols || args.symbols.length === 0) return null;
    try {
      return checkSymbols('symbols', args.symbols, this.options.maxSymbols);
    } catch {
      return null; // the ordinary path reports the error
    }
  }

  /**
   * Adds the operation to its group and returns the iterator graphql-ws holds for it: it yields
   * nothing (frames are sent here) and its `return()` leaves the group.
   */
  async join(socket: WebSocket, id: string, symbols: string[], args: ExecutionArgs): Promise<AsyncIterableIterator<never>> {
    const key = JSON.stringify([args.operationName ?? null, symbols, args.variableValues ?? null, printed(args.document)]);
    const group = this.groups.get(key) ?? this.openGroup(key, symbols, args);
    const member: Member = { socket, head: `{"id":${JSON.stringify(id)},"type":"next","payload":`, pending: null, flushTimer: null };
    group.members.add(member);
    try {
      await group.ready;
    } catch (error) {
      this.leave(group, member);
      throw error;
    }
    let finish: ((result: IteratorResult<never>) => void) | null = null;
    const finished = new Promise<IteratorResult<never>>((resolve) => (finish = resolve));
    const done = (): Promise<IteratorResult<never>> => {
      this.leave(group, member);
      finish?.({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    };
    const iterator: AsyncIterableIterator<never> = {
      next: () => finished,
      return: done,
      throw: done,
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Groups and members, to check that nothing leaks. */
  stats(): { groups: number; members: number } {
    let members = 0;
    for (const group of this.groups.values()) members += group.members.size;
    return { groups: this.groups.size, members };
  }

  private openGroup(key: string, symbols: string[], args: ExecutionArgs): Group {
    const group: Group = { key, args, members: new Set(), unsubscribes: [], ready: Promise.resolve(), tail: Promise.resolve() };
    this.groups.set(key, group);
    group.ready = Promise.all(
      symbols.map((symbol) => this.options.bus.subscribe('price', symbol, (envelope) => this.deliver(group, envelope))),
    ).then(
      (unsubscribes) => {
        group.unsubscribes = unsubscribes;
        if (group.members.size === 0) this.close(group);
      },
      (error: unknown) => {
        this.close(group);
        throw error;
      },
    );
    return group;
  }

  private deliver(group: Group, envelope: Envelope<'price'>): void {
    // graphql-js executes the selection against the event, as its subscribe() does per event; Yoga's
    // executor is not used here, since for a subscription operation it would start a new subscription.
    const result = execute({ ...group.args, rootValue: envelope });
    if (isPromiseLike(result)) {
      group.tail = group.tail.then(() => result).then((settled) => this.send(group, envelope.key, settled as ExecutionResult));
    } else {
      this.send(group, envelope.key, result as ExecutionResult);
    }
  }

  private send(group: Group, symbol: string, result: ExecutionResult): void {
    const { errors, ...rest } = result;
    const payload = JSON.stringify(errors ? { ...rest, errors: errors.map((error) => error.toJSON()) } : rest);
    for (const member of group.members) {
      const frame = `${member.head}${payload}}`;
      if (member.pending || member.socket.bufferedAmount > this.options.maxBufferedBytes) this.hold(member, symbol, frame);
      else member.socket.send(frame);
    }
  }

  /** Keeps only the newest frame per symbol for a full socket, and sends them once it drains. */
  private hold(member: Member, symbol: string, frame: string): void {
    const pending = (member.pending ??= new Map());
    pending.delete(symbol);
    pending.set(symbol, frame);
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
      const frames = member.pending ?? new Map<string, string>();
      member.pending = null;
      for (const waiting of frames.values()) member.socket.send(waiting);
    };
    member.flushTimer = setTimeout(flush, FLUSH_RETRY_MS);
  }

  private leave(group: Group, member: Member): void {
    if (!group.members.delete(member)) return;
    if (member.flushTimer) clearTimeout(member.flushTimer);
    if (group.members.size === 0) this.close(group);
  }

  private close(group: Group): void {
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    for (const unsubscribe of group.unsubscribes.splice(0)) unsubscribe();
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** A document's identity for grouping: its source text when it has one. */
function printed(document: DocumentNode): string {
  return document.loc?.source.body ?? JSON.stringify(document);
}
