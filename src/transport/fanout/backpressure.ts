import { createGraphQLError } from 'graphql-yoga';
import type { SubscriptionField } from '../../schema/subscription-plan.js';
import type { FanoutStats } from '../../observability/metrics.js';
import type { Member } from './members.js';
import type { Payload } from './payload.js';
import type { SocketWriter } from './socket-writer.js';

/** The shared path's cumulative counts of one field. */
export type FanoutCounts = Pick<FanoutStats, 'framesSent' | 'conflated' | 'slowConsumers' | 'replayed'>;

/** How often a full connection's waiting ticks check whether it has drained. */
const FLUSH_RETRY_MS = 20;

/**
 * What a member's full connection does with the next frames, by its plan's overflow policy. Past
 * `maxBufferedBytes` waiting to be sent, a conflating subscription (prices) keeps only the newest
 * event per key until the connection drains to half, then sends them; any other (signals, backtest
 * progress) ends with SLOW_CONSUMER, and the client resumes by cursor (on a WebSocket the
 * transport then closes the connection with 4008).
 */
export class Backpressure {
  constructor(
    private readonly maxBufferedBytes: number,
    private readonly writer: SocketWriter,
    private readonly counts: Record<SubscriptionField, FanoutCounts>,
  ) {}

  /** True if the member's connection takes a frame now; otherwise the policy has dealt with the event. */
  admits(member: Member, key: string, payload: Payload): boolean {
    if (!member.pending && member.buffered <= this.maxBufferedBytes) return true;
    if (member.group.plan.overflow.kind === 'conflate') this.hold(member, key, payload);
    else this.slowConsumer(member, `More than ${this.maxBufferedBytes} bytes waited to be sent`);
    return false;
  }

  /** Between pages of a replay: a subscription that may not conflate ends if its connection is full. */
  overflowsReplay(member: Member): boolean {
    if (member.group.plan.overflow.kind === 'conflate' || member.buffered <= this.maxBufferedBytes) return false;
    this.slowConsumer(member, `More than ${this.maxBufferedBytes} bytes waited to be sent while replaying`);
    return true;
  }

  /** Ends a member that fell too far behind. */
  slowConsumer(member: Member, why: string): void {
    this.counts[member.group.plan.field].slowConsumers += 1;
    member.fail(createGraphQLError(`${why}; reconnect and resume after the last cursor received`, { extensions: { code: 'SLOW_CONSUMER' } }));
  }

  /** Forgets what a member that left was holding. */
  release(member: Member): void {
    if (member.flushTimer) clearTimeout(member.flushTimer);
    member.flushTimer = null;
    member.pending = null;
  }

  /**
   * Keeps only the newest event per key for a full connection, and sends them once it drains. It
   * keeps the event's shared payload, not a frame: a reader that does not read may be offered every
   * tick of a storm, and framing each one for it would cost a string per tick and subscriber for
   * nothing.
   */
  private hold(member: Member, key: string, payload: Payload): void {
    const counts = this.counts[member.group.plan.field];
    const pending = (member.pending ??= new Map());
    if (pending.has(key)) {
      counts.conflated += 1;
      // Moved to the end, so that ticks of several symbols leave in publish order (with one symbol
      // waiting there is no order to keep, and a delete would reallocate the map's table every tick).
      if (pending.size > 1) pending.delete(key);
    }
    pending.set(key, payload);
    if (member.flushTimer) return;
    const flush = () => {
      member.flushTimer = null;
      if (!member.open) {
        member.pending = null;
        return;
      }
      if (member.buffered > this.maxBufferedBytes / 2) {
        member.flushTimer = setTimeout(flush, FLUSH_RETRY_MS);
        return;
      }
      const newest = member.pending ?? new Map<string, Payload>();
      member.pending = null;
      for (const waiting of newest.values()) this.writer.write(member, member.frame(waiting));
      counts.framesSent += newest.size;
    };
    member.flushTimer = setTimeout(flush, FLUSH_RETRY_MS);
  }
}
