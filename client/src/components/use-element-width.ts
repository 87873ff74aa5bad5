import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * The content width of the element given to the returned ref, in CSS pixels, kept current with a
 * `ResizeObserver`; `fallback` until it is measured (and where there is no `ResizeObserver`, as in
 * jsdom). Lets an SVG be drawn at its container's real width, so its text is never squeezed.
 */
export function useElementWidth<E extends Element>(fallback: number): [(element: E | null) => void, number] {
  const [width, setWidth] = useState(fallback);
  const observer = useRef<ResizeObserver | null>(null);

  const ref = useCallback((element: E | null) => {
    observer.current?.disconnect();
    observer.current = null;
    if (!element || typeof ResizeObserver !== 'function') return;
    observer.current = new ResizeObserver(([entry]) => {
      const measured = Math.floor(entry?.contentRect.width ?? 0);
      // A hidden element measures 0: keep the last real width rather than draw nothing.
      if (measured > 0) setWidth(measured);
    });
    observer.current.observe(element);
  }, []);

  useEffect(() => () => observer.current?.disconnect(), []);
  return [ref, width];
}
