/**
 * What a symbol is, everywhere (arguments, published events, the demo feed's configuration): 1-20
 * characters of upper-case letters, digits, `.`, `_`, `/` or `-`, starting with a letter or digit.
 */
export const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9._/-]{0,19}$/;
