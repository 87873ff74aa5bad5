/**
 * Reconnect waits that an event can cut short: when the browser comes back online, every pending
 * retry (graphql-ws's `retryWait`, each SSE stream's) should happen now, not in 20 s.
 */
export interface WakeableSleep {
  /** Resolves after `ms`, or earlier on {@link wakeAll}. */
  sleep(ms: number): Promise<void>;
  /** Ends every pending sleep now. */
  wakeAll(): void;
}

export function createWakeableSleep(): WakeableSleep {
  const pending = new Set<() => void>();
  return {
    sleep(ms) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          pending.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        pending.add(done);
      });
    },
    wakeAll() {
      for (const done of [...pending]) done();
    },
  };
}
