import { catchUpPages } from '../../bus/catch-up.js';
import { encodeCursor } from '../../bus/cursor.js';
import type { EventBus, StreamPosition } from '../../bus/event-bus.js';
import type { SubscriptionField } from '../../schema/subscription-plan.js';
import { ReplayHold, StreamPoint, type OverflowPolicy } from '../../bus/resume.js';
import { typedStreamError } from '../../schema/stream-errors.js';
import type { Backpressure, FanoutCounts } from './backpressure.js';
import type { FanoutPlan, HeldFrame, Member } from './members.js';
import { Payload } from './payload.js';
import type { SocketWriter } from './socket-writer.js';

export interface ReplayOptions {
  bus: EventBus;
  writer: SocketWriter;
  backpressure: Backpressure;
  counts: Record<SubscriptionField, FanoutCounts>;
  /** Live frames held for one resumer while its history is replayed (`SUBSCRIPTION_QUEUE_LIMIT`). */
  backlogLimit: number;
  /** Events read from history per page. */
  pageSize: number;
}

/**
 * Catches a resuming member up with its group, on the resume primitive (`bus/resume.ts`): the
 * member holds the group's live frames from the moment it joins (what is published from then on is
 * held, what was published before is in the history), it is caught up page by page as its plan says
 * (`bus/catch-up.ts`: every missed event, or the newest per key past a bound), executed as the group
 * executes live events, then the held frames the catch-up did not reach are sent. No gap, no
 * duplicate; an epoch change ends it with CURSOR_EXPIRED.
 */
export class Replay {
  constructor(private readonly options: ReplayOptions) {}

  /** The hold of a resumer's live frames, bounded by its plan's overflow policy (prices: newest per symbol). */
  holdFor(plan: FanoutPlan): ReplayHold<HeldFrame> {
    const policy: OverflowPolicy<HeldFrame> = plan.overflow.kind === 'conflate' ? { kind: 'conflate', keyOf: (held) => held.key } : { kind: 'disconnect' };
    return new ReplayHold(this.options.backlogLimit, policy, (count) => (this.options.counts[plan.field].conflated += count));
  }

  /** Holds a live frame for a member whose replay is running; bounded like any slow reader. */
  hold(member: Member, held: HeldFrame): void {
    try {
      member.backlog?.hold(held);
    } catch (error) {
      this.options.counts[member.group.plan.field].slowConsumers += 1;
      member.fail(typedStreamError(error));
    }
  }

  /** Sends a member what was published after `after`, then its held frames; from then on it is live. */
  async run(member: Member, after: StreamPosition): Promise<void> {
    const { bus, writer, backpressure, counts: all, pageSize } = this.options;
    const { plan, execute } = member.group;
    const counts = all[plan.field];
    const point = new StreamPoint(after);
    try {
      let first = true;
      for await (const page of catchUpPages(bus, plan.field, plan.keys, after, plan.catchUp, pageSize)) {
        if (!first && backpressure.overflowsReplay(member)) return;
        first = false;
        for (const envelope of page) {
          if (member.ended) return;
          if (!point.admit(envelope.position)) continue;
          if ((plan.accept && !plan.accept(envelope)) || !member.sees(envelope)) continue;
          writer.write(member, member.frame(new Payload(await execute(envelope), encodeCursor(envelope.position))));
          counts.replayed += 1;
          counts.framesSent += 1;
          if (plan.isLast?.(envelope)) return member.complete();
        }
      }
    } catch (error) {
      return member.fail(typedStreamError(error));
    }
    const held = member.backlog?.release() ?? [];
    member.backlog = null;
    member.replayedThrough = point;
    if (member.ended) return;
    for (const frame of held) {
      if (point.covers(frame.position)) continue;
      writer.write(member, frame.frame);
      counts.framesSent += 1;
      if (frame.last) return member.complete();
    }
  }
}
