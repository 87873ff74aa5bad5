import type { PageVisibility } from './page-lifecycle.js';

/**
 * When to close a hidden page's live operations and when to bring them back. A page in the
 * background shows nothing, yet its socket keeps a phone's radio awake and its data plan busy; a
 * short look at another tab or app should not cost a reconnect, though. So: hidden for `graceMs`
 * in a row → `pause()`; visible again → `resume()` (only after a pause). The session implements
 * both (live-connection.ts): pausing closes the transport, resuming opens a new one on which every
 * subscription is sent again after its cursor.
 *
 * A phone's browser may freeze a background page outright, timers included: the grace period's
 * timer then never fires, and the socket has most likely died meanwhile unnoticed. So a page
 * visible again after being hidden for the grace period or longer is paused and resumed at once,
 * whether the timer ran or not: a fresh connection rather than one nobody has heard from.
 */
export interface HiddenPauseOptions {
  visibility: PageVisibility;
  /** How long the page may stay hidden before `pause()`; `Infinity` never pauses. */
  graceMs: number;
  pause(): void;
  resume(): void;
  /** @default Date.now */
  now?: () => number;
}

/** Starts watching (a page opened in the background starts its grace period at once); returns the stop function. */
export function watchHiddenPage(options: HiddenPauseOptions): () => void {
  const { visibility, graceMs, pause, resume, now = Date.now } = options;
  if (!(graceMs >= 0)) throw new RangeError(`hiddenGraceMs must be >= 0 (or Infinity), got ${graceMs}`);
  // setTimeout would fire at once for Infinity (it overflows to 1 ms): never arm it then.
  if (graceMs === Infinity) return () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  let paused = false;
  let hiddenSince: number | null = null;

  const hidden = () => {
    if (hiddenSince !== null) return; // already counting
    hiddenSince = now();
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
    const frozenPastGrace = !paused && hiddenSince !== null && now() - hiddenSince >= graceMs;
    hiddenSince = null;
    if (frozenPastGrace) {
      paused = true;
      pause();
    }
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
