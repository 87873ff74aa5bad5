import type { EventBus, Listener, Topic, Unsubscribe } from './event-bus.js';

export interface KeepSubscribedOptions {
  /** Pause between attempts while the bus cannot subscribe (Redis away). */
  retryMs: number;
  /** Failures other than the bus being unavailable. */
  onError: (error: unknown) => void;
}

/**
 * Listens to a key for as long as the caller wants, whatever the bus' state: if subscribing fails
 * (Redis is away at start-up, say), it tries again every `retryMs` until it succeeds or is stopped.
 * For the process's own listeners (cancel requests, the demo signal engine), which have no client to
 * report an error to and must not keep the process from starting.
 */
/** A listener kept subscribed: stop it, or ask whether it is subscribed now. */
export interface KeptSubscription {
  readonly active: boolean;
  stop: Unsubscribe;
}

export function keepSubscribed<T extends Topic>(
  bus: EventBus,
  topic: T,
  key: string,
  listener: Listener<T>,
  { retryMs, onError }: KeepSubscribedOptions,
): KeptSubscription {
  let stopped = false;
  let unsubscribe: Unsubscribe | null = null;
  let timer: NodeJS.Timeout | null = null;
  const attempt = () => {
    timer = null;
    bus.subscribe(topic, key, listener).then(
      (release) => {
        if (stopped) release();
        else unsubscribe = release;
      },
      (error: unknown) => {
        if ((error as { code?: unknown }).code !== 'UNAVAILABLE') onError(error);
        if (!stopped) timer = setTimeout(attempt, retryMs);
      },
    );
  };
  attempt();
  return {
    get active() {
      return unsubscribe !== null;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      unsubscribe?.();
    },
  };
}
