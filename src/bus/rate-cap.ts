/**
 * A per-key rate cap on a stream of events: at most one event per key every `intervalMs`, never
 * ending on a stale one. The first event of a key after a quiet window goes out at once and opens a
 * window; what arrives during the window replaces what is waiting (only the newest is kept), and it
 * goes out when the window ends, opening the next. So over `t` seconds a key sends at most
 * `t / interval + 1` events, and the last one sent is always the last one offered.
 *
 * A small operator on purpose: whatever delivers a stream (a subscriber's own stream, a group of the
 * shared fan-out) puts it in front of its delivery, and `close` releases its timers.
 */
export class RateCap<T> {
  /** Keys inside a window, each with the newest event that waits for the window's end (null: none). */
  private readonly windows = new Map<string, { waiting: T | null; timer: NodeJS.Timeout }>();
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly keyOf: (event: T) => string,
    private readonly emit: (event: T) => void,
    /** Called once per event that a newer one of its key replaced before it was sent (metrics). */
    private readonly onConflated?: () => void,
  ) {}

  /** An event to deliver: now if its key is quiet, else at the end of the key's window (if nothing newer comes). */
  offer(event: T): void {
    if (this.closed) return;
    const key = this.keyOf(event);
    const window = this.windows.get(key);
    if (!window) {
      this.open(key);
      this.emit(event);
      return;
    }
    if (window.waiting !== null) this.onConflated?.();
    window.waiting = event;
  }

  /** Drops what waits and stops every timer; nothing is emitted afterwards. */
  close(): void {
    this.closed = true;
    for (const { timer } of this.windows.values()) clearTimeout(timer);
    this.windows.clear();
  }

  /** Keys inside a window now (to check that timers do not outlive their stream). */
  get openWindows(): number {
    return this.windows.size;
  }

  private open(key: string): void {
    // A window never keeps a process alive on its own (up to 100 s at the lowest rate): whatever
    // it delivers to holds the process for as long as it matters.
    const timer = setTimeout(() => this.windowEnded(key), this.intervalMs).unref();
    this.windows.set(key, { waiting: null, timer });
  }

  private windowEnded(key: string): void {
    const window = this.windows.get(key);
    this.windows.delete(key);
    if (this.closed || !window || window.waiting === null) return;
    // The trailing send opens the next window, so the rate holds through a steady stream.
    this.open(key);
    this.emit(window.waiting);
  }
}
