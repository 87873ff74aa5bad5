import { tokenExpiry } from '../token.js';
import type { TokenStore } from './token-store.js';

/**
 * Renewal before expiry (SECURITY.md, "Tokens"): `leadMs` before the current token's `exp`, get a
 * fresh token without the user (the dev endpoint; see {@link TokenStore.renewSilently}) and hand
 * it to the live connection, which runs `renewToken` on its WebSocket so that no subscription
 * drops. Without such a token nothing happens here: at expiry the server closes with 4401 and the
 * session asks for a new token (live-connection.ts).
 */
export interface TokenRenewalOptions {
  tokens: TokenStore;
  /** Hands the new token to the live connection; its outcome does not matter here. */
  renew(token: string): Promise<unknown>;
  /**
   * How long before `exp` to renew.
   * @default 60000
   */
  leadMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** setTimeout's ceiling (about 24.8 days); a later expiry is re-checked when this fires. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Starts watching the store's token; returns the function that stops. */
export function startTokenRenewal(options: TokenRenewalOptions): () => void {
  const { tokens, renew, leadMs = 60_000, now = Date.now } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let scheduledFor: string | null = null;
  let stopped = false;

  function schedule(): void {
    const token = tokens.current();
    if (token === scheduledFor) return;
    clearTimeout(timer);
    scheduledFor = token;
    if (token === null) return;
    const expiry = tokenExpiry(token);
    if (expiry === null) return;
    const due = expiry - leadMs;
    timer = setTimeout(() => void run(token, due), Math.min(MAX_TIMEOUT_MS, Math.max(0, due - now())));
  }

  async function run(token: string, due: number): Promise<void> {
    if (stopped || tokens.current() !== token) return;
    if (now() < due) {
      scheduledFor = null; // woke early (the delay was capped): wait again
      return schedule();
    }
    const fresh = await tokens.renewSilently(); // adopting it reschedules through `subscribe`
    if (fresh !== null && !stopped) await renew(fresh).catch(() => {});
  }

  const unsubscribe = tokens.subscribe(schedule);
  schedule();
  return () => {
    stopped = true;
    unsubscribe();
    clearTimeout(timer);
  };
}
