/**
 * What the browser says about the page's situation: whether it has a network (`navigator.onLine`
 * and the `online` / `offline` events) and whether the page is seen (Page Visibility:
 * `document.visibilityState` and `visibilitychange`). Both are feature-detected: under Node (a
 * service, the CLI) there is no `window` or `document`, so the network always counts as up and the
 * page as visible, and nothing listens.
 */

/** Whether the browser believes it has a network. */
export interface NetworkMonitor {
  isOnline(): boolean;
  /** Called with the new value on every `online` / `offline` event; returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void;
}

/** Whether the page is visible (a tab in front, a phone's browser in the foreground). */
export interface PageVisibility {
  isVisible(): boolean;
  /** Called with the new value on every `visibilitychange`; returns the unsubscribe function. */
  subscribe(listener: (visible: boolean) => void): () => void;
}

export function browserNetwork(): NetworkMonitor {
  return {
    isOnline: () => typeof navigator === 'undefined' || navigator.onLine !== false,
    subscribe(listener) {
      if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return () => {};
      const online = () => listener(true);
      const offline = () => listener(false);
      window.addEventListener('online', online);
      window.addEventListener('offline', offline);
      return () => {
        window.removeEventListener('online', online);
        window.removeEventListener('offline', offline);
      };
    },
  };
}

export function browserPageVisibility(): PageVisibility {
  const supported = () => typeof document !== 'undefined' && typeof document.visibilityState === 'string';
  const isVisible = () => !supported() || document.visibilityState !== 'hidden';
  return {
    isVisible,
    subscribe(listener) {
      if (!supported() || typeof document.addEventListener !== 'function') return () => {};
      const changed = () => listener(isVisible());
      document.addEventListener('visibilitychange', changed);
      return () => document.removeEventListener('visibilitychange', changed);
    },
  };
}
