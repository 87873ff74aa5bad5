/**
 * How many price updates a second per symbol the dashboard asks for (`price(maxRate:)`, and the
 * candle chart's open bar, `candles(maxRate:)`). On a
 * phone, or with the browser's data saver on, one a second: a person reads a price at most that
 * often on a small screen, and the server conflates to the newest tick (a capped board always ends
 * on the latest price), so the same screen costs a fraction of the bytes and the battery. Elsewhere
 * every tick (null: no cap). Decided once, when the board starts: a board that changed its cap
 * midway would have to restart from a fresh snapshot.
 */

/** Updates per second per symbol on a phone-sized screen or with Save-Data. */
export const PHONE_PRICE_MAX_RATE = 1;

/** Phone-sized: the width at which the dashboard switches to its one-column phone layout (phone-layout.css). */
export const PHONE_MEDIA_QUERY = '(max-width: 640px)';

/** The Network Information API's data-saver flag (Chromium browsers); absent elsewhere. */
interface NavigatorWithConnection {
  readonly connection?: { readonly saveData?: boolean };
}

/** `PHONE_PRICE_MAX_RATE` on a phone-sized screen or with Save-Data on; null (every tick) otherwise or outside a browser. */
export function dashboardPriceMaxRate(): number | null {
  const phone = typeof matchMedia === 'function' && matchMedia(PHONE_MEDIA_QUERY).matches;
  const saveData = typeof navigator !== 'undefined' && (navigator as NavigatorWithConnection).connection?.saveData === true;
  return phone || saveData ? PHONE_PRICE_MAX_RATE : null;
}
