import type { CorkableStream } from './cork.js';
import type { Member } from './members.js';

/**
 * Writes frames to members' connections, joining the frames of one task into one write per
 * connection. The first frame a connection gets in the current task goes out at once; further ones
 * in the same task go into its stream, corked until the task is done. Events that arrive together
 * (a burst, or a backlog read from Redis in one go when the server falls behind) then cost each
 * connection one more write, one system call, however many they are: the cost that dominates a
 * delivery. With `writeDelayMs`, every frame waits that long, corked. Whatever else is sent on the
 * connection meanwhile (graphql-ws's own messages) queues behind, in order.
 */
export class SocketWriter {
  /** Connections written during the current task: their next frames are corked until it is done. */
  private readonly written = new Set<CorkableStream>();
  /** Streams corked during the current task, uncorked together when it is done. */
  private corked: CorkableStream[] = [];
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
