import type { PageVisibility } from './page-lifecycle.js';

/**
 * When to close a hidden page's live operations and when to bring them back. A page in the
 * background shows nothing, yet its socket keeps a phone's radio awake and its data plan busy; a
 * short look at another tab or app should not cost a reconnect, though. So: hidden for `graceMs`
 * in a row → `pause()`; visible again → `resume()` (only after a pause). The session implements
 * both (live-connection.ts): pausing closes the transport, resuming opens a new one on which every
 * subscription is sent again after its cursor.
 */
export interface HiddenPauseOptions {
  visibility: PageVisibility;
  /** How long the page may stay hidden before `pause()`; `Infinity` never pauses. */
  graceMs: number;
  pause(): void;
  resume(): void;
}

/** Starts watching (a page opened in the background starts its grace period at once); returns the stop function. */
export function watchHiddenPage(options: HiddenPauseOptions): () => void {
  const { visibility, graceMs, pause, resume } = options;
  if (!(graceMs >= 0)) throw new RangeError(`hiddenGraceMs must be >= 0 (or Infinity), got ${graceMs}`);
  // setTimeout would fire at once for Infinity (it overflows to 1 ms): never arm it then.
  if (graceMs === Infinity) return () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  let paused = false;

  const hidden = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (paused || visibility.isVisible()) return;
      paused = true;
      pause();
    }, graceMs);
  };
  const visible = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!paused) return;
    paused = false;
    resume();
  };

  const stop = visibility.subscribe((isVisible) => (isVisible ? visible() : hidden()));
  if (!visibility.isVisible()) hidden();
  return () => {
    clearTimeout(timer);
    stop();
  };
}
