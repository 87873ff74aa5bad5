/** Number and time formatting shared by the dashboard components (the reader's locale). */

/** Decimals for a price of this size: 2 from 100 up, 4 from 1 up, 6 below (e.g. 65,000.12 / 1.0856 / 0.123457). */
function priceDigits(magnitude: number): number {
  const size = Math.abs(magnitude);
  return size >= 100 ? 2 : size >= 1 ? 4 : 6;
}
const priceFormats = new Map<string, Intl.NumberFormat>();
function priceFormat(digits: number, signed: boolean): Intl.NumberFormat {
  const key = `${digits}${signed}`;
  let format = priceFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(undefined, {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      signDisplay: signed ? 'exceptZero' : 'auto',
    });
    priceFormats.set(key, format);
  }
  return format;
}
const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const signedPercentFormat = new Intl.NumberFormat(undefined, {
  style: 'percent',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'exceptZero',
});
const wholePercentFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 });
const integerFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const quantityFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
const ratioFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * A price with decimals for its size: `65,000.12`, `1.0856`, `0.123457`; with `like`, the decimals of
 * that price instead, so the figures of one chart line up (`95.00` beside `110.00`).
 */
export const formatPrice = (value: number, like: number = value): string => priceFormat(priceDigits(like), false).format(value);
/** A price difference with its sign, with the decimals of the price it is a change of: `+12.50`, `-0.25`, `0.00`. */
export const formatSignedPrice = (value: number, price: number = value): string =>
  priceFormat(priceDigits(price), true).format(value);
/**
 * A profit or loss in price units with its sign, two decimals from 1 up, more below so a small
 * figure is not shown as zero: `+30.25`, `-1,250.00`, `+0.0012`.
 */
export const formatPnl = (value: number): string => {
  const size = Math.abs(value);
  return priceFormat(size >= 1 || size === 0 ? 2 : size >= 0.01 ? 4 : 6, true).format(value);
};
/** A fraction as a percentage: `0.1234` → `12.34%`. */
export const formatPercent = (fraction: number): string => percentFormat.format(fraction);
/** A fraction as a signed percentage: `0.1234` → `+12.34%`. */
export const formatSignedPercent = (fraction: number): string => signedPercentFormat.format(fraction);
/** A fraction as a whole percentage: `0.734` → `73%`. */
export const formatWholePercent = (fraction: number): string => wholePercentFormat.format(fraction);
/** A count: `50,000`. */
export const formatInteger = (value: number): string => integerFormat.format(value);
/** A quantity (volume), up to four decimals: `1,234.5`, `0.0125`. */
export const formatQuantity = (value: number): string => quantityFormat.format(value);
/** A ratio with two decimals (Sharpe, equity): `1.23`. */
export const formatRatio = (value: number): string => ratioFormat.format(value);

function format(iso: string, formatter: Intl.DateTimeFormat): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatter.format(date);
}

/** `14:03:07` in the reader's time zone. */
export const formatTime = (iso: string): string => format(iso, timeFormat);
/** `26 Nov 2026, 16:30` in the reader's time zone. */
export const formatDateTime = (iso: string): string => format(iso, dateTimeFormat);
