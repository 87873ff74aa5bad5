/**
 * The token a user typed on this page, kept in `sessionStorage` for the tab only (gone when the tab
 * closes); the session's token store (`@titan-realtime/client`'s `createTokenStore`) reads it when
 * the development server has no token to give.
 */

const STORAGE_KEY = 'titan.token';

/** The token the user entered earlier in this tab, if any. */
export function readStoredToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled (privacy mode, sandboxed iframe)
  }
}

/** Keeps a user-entered token for this tab only; it is gone when the tab closes. */
export function storeToken(token: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage disabled: the token still works for this page load.
  }
}

/** Forgets the stored token (the server refused it). */
export function clearStoredToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to clear.
  }
}

/** The tab's storage as the token store takes it. */
export const sessionTokenStorage = { read: readStoredToken, write: storeToken, clear: clearStoredToken };
