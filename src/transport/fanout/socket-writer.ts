import type { ConnectionStream } from './ws-stream.js';
import type { Member } from './members.js';

/**
 * Writes frames to members' connections, joining the frames of one task into as few writes per
 * connection as it can: a system call per write is the cost that dominates a delivery. A member's
 * frames of one task (`writeAll`: events that arrived together, a burst or a backlog read from Redis
 * in one go when the server falls behind) leave in one write at once. A connection's first frame in
 * the task goes out at once too; further ones (its other subscriptions' frames) go into its stream,
 * corked until the task is done. With `writeDelayMs`, every frame waits that long, corked. Whatever
 * else is sent on the connection meanwhile (graphql-ws's own messages) queues behind, in order.
 */
export class SocketWriter {
  /** Connections written during the current task: their next frames are corked until it is done. */
  private readonly written = new Set<ConnectionStream>();
  /** Streams corked during the current task, uncorked together when it is done. */
  private corked: ConnectionStream[] = [];
  private taskEndScheduled = false;

  constructor(private readonly writeDelayMs: number) {}

  write(member: Member, frame: Buffer): void {
    const stream = member.stream();
    if (stream === null) {
      member.send(frame);
      return;
    }
    if (this.writeDelayMs === 0 && !this.written.has(stream)) {
      this.written.add(stream);
      this.scheduleTaskEnd();
      member.send(frame);
      return;
    }
    if (stream.writableCorked === 0 && !stream.destroyed) {
      stream.cork();
      this.corked.push(stream);
      this.scheduleTaskEnd();
    }
    member.send(frame);
  }

  /** Writes a member's frames of one task: several leave together, in one write, now. */
  writeAll(member: Member, frames: readonly Buffer[]): void {
    const stream = frames.length > 1 && this.writeDelayMs === 0 ? member.stream() : null;
    if (stream === null || stream.writableCorked > 0 || stream.destroyed) {
      for (const frame of frames) this.write(member, frame);
      return;
    }
    this.written.add(stream);
    this.scheduleTaskEnd();
    stream.cork();
    for (const frame of frames) member.send(frame);
    stream.uncork();
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
}
