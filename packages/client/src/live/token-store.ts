import { fetchDevToken, isExpired, normalizeToken, tokenExpiry } from '../token.js';

/**
 * The page's token and who is waiting for one. The dev token comes for free in development
 * (`GET /dev/token`); otherwise the user enters one (kept in `sessionStorage` for the tab). When
 * the server refuses a token, {@link TokenStore.refresh} gets another: silently when the dev
 * endpoint has a different one, else by asking the user (the token form shows while
 * {@link TokenSnapshot.request} is set). Concurrent refreshes share one request.
 */

/** Why the page is asking for a token. */
export interface TokenRequest {
  /** `missing`: none yet; `refused`: the server refused the last one. */
  readonly reason: 'missing' | 'refused';
  /** The close code (4401 / 4403) or HTTP status (401) of the refusal. */
  readonly code?: number;
  /** The server's reason, for the form's notice. */
  readonly message?: string;
}

export interface TokenSnapshot {
  /** The token in use; during a refresh, still the refused one. */
  readonly token: string | null;
  /** Where `token` came from: the dev endpoint (renewable without the user) or the user. */
  readonly source: 'dev' | 'user' | null;
  /** Set while waiting for the user to enter a token. */
  readonly request: TokenRequest | null;
}

export interface TokenStore {
  getSnapshot(): TokenSnapshot;
  subscribe(listener: () => void): () => void;
  current(): string | null;
  /** A token to start with: the dev token, else the stored one (unless expired), else the user's. */
  acquire(): Promise<string>;
  /**
   * The server refused `refused`: resolves with another token (at once if the current one already
   * differs, e.g. another caller refreshed first).
   */
  refresh(refused: string | null, detail?: { code?: number; message?: string }): Promise<string>;
  /** The user entered a token (the form). Waiting callers get it. */
  supply(input: string): void;
  /**
   * For renewal before expiry: a token from the dev endpoint that outlives the current dev token;
   * adopts and returns it, or null (no such token, or the current one is the user's).
   */
  renewSilently(): Promise<string | null>;
}

/** Where a user-entered token is kept (the dashboard: the tab's `sessionStorage`). */
export interface TokenStorage {
  read(): string | null;
  write(token: string): void;
  clear(): void;
}

const NO_STORAGE: TokenStorage = { read: () => null, write: () => {}, clear: () => {} };

export interface TokenStoreOptions {
  /** @default GET /dev/token on the page's origin (token.ts) */
  fetchDevToken?: () => Promise<string | null>;
  /** Where the user's token is kept between page loads. @default nowhere */
  storage?: TokenStorage;
  /** @default Date.now */
  now?: () => number;
}

export function createTokenStore(options: TokenStoreOptions = {}): TokenStore {
  const {
    fetchDevToken: fetchDev = () => fetchDevToken(),
    storage = NO_STORAGE,
    now = Date.now,
  } = options;
  let snapshot: TokenSnapshot = { token: null, source: null, request: null };
  const listeners = new Set<() => void>();
  let pending: Promise<string> | null = null;
  let waiting: ((token: string) => void)[] = [];

  function update(next: Partial<TokenSnapshot>): void {
    snapshot = { ...snapshot, ...next };
    for (const listener of [...listeners]) listener();
  }

  function usable(token: string | null, refused: string | null): token is string {
    return token !== null && token !== refused && !isExpired(token, now());
  }

  function obtain(refused: string | null, request: TokenRequest): Promise<string> {
    if (pending) return pending;
    pending = (async () => {
      const dev = await fetchDev().catch(() => null);
      if (usable(dev, refused)) {
        update({ token: dev, source: 'dev', request: null });
        return dev;
      }
      if (request.reason === 'missing') {
        const stored = storage.read();
        if (usable(stored, refused)) {
          update({ token: stored, source: 'user', request: null });
          return stored;
        }
      }
      return new Promise<string>((resolve) => {
        waiting.push(resolve);
        update({ request });
      });
    })().finally(() => {
      pending = null;
    });
    return pending;
  }

  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    current: () => snapshot.token,
    acquire() {
      return snapshot.token !== null ? Promise.resolve(snapshot.token) : obtain(null, { reason: 'missing' });
    },
    refresh(refused, detail = {}) {
      if (snapshot.token !== null && snapshot.token !== refused) return Promise.resolve(snapshot.token);
      if (snapshot.source === 'user') storage.clear();
      return obtain(refused, { reason: 'refused', ...detail });
    },
    supply(input) {
      const token = normalizeToken(input);
      if (!token) return;
      storage.write(token);
      update({ token, source: 'user', request: null });
      const resolved = waiting;
      waiting = [];
      for (const resolve of resolved) resolve(token);
    },
    async renewSilently() {
      const { token: currentToken, source } = snapshot;
      if (source !== 'dev' || currentToken === null) return null; // a user's token: never swap identities
      const fresh = await fetchDev().catch(() => null);
      if (fresh === null || fresh === currentToken || snapshot.token !== currentToken) return null;
      const freshExpiry = tokenExpiry(fresh);
      const currentExpiry = tokenExpiry(currentToken);
      if (currentExpiry !== null && freshExpiry !== null && freshExpiry <= currentExpiry) return null;
      update({ token: fresh, source: 'dev' });
      return fresh;
    },
  };
}
