import { forbidden, tokenRefused } from '../auth/errors.js';
import { TokenError, type TokenService } from '../auth/tokens.js';
import type { Viewer } from '../auth/viewer.js';
import type { ViewerAuth } from '../schema/context.js';

/** setTimeout cannot wait longer than this; longer expiries are waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The identity of one WebSocket connection: set by `connection_init`, replaced by `renewToken`, and
 * ended when the token expires (the transport then closes the socket with 4401).
 */
export class ConnectionAuth implements ViewerAuth {
  private current: Viewer;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    viewer: Viewer,
    private readonly tokens: TokenService,
    private readonly onExpired: () => void,
  ) {
    this.current = viewer;
    this.schedule();
  }

  get viewer(): Viewer {
    return this.current;
  }

  async renew(token: string): Promise<Viewer> {
    let next: Viewer;
    try {
      next = await this.tokens.verify(token);
    } catch (error) {
      throw error instanceof TokenError ? tokenRefused(error) : error;
    }
    if (next.id !== this.current.id) throw forbidden('a renewed token must have the same subject (sub)');
    this.current = next;
    this.schedule();
    return next;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.dispose();
    const { expiresAt } = this.current;
    if (expiresAt === null) return;
    const wait = expiresAt - Date.now();
    if (wait <= 0) {
      this.onExpired();
      return;
    }
    this.timer = setTimeout(() => (wait > MAX_TIMER_MS ? this.schedule() : this.onExpired()), Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }
}
