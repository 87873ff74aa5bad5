/** Who is calling, as established from a verified token. */

export const ROLES = ['trader', 'publisher', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Viewer {
  /** The token's `sub`. */
  readonly id: string;
  readonly roles: ReadonlySet<Role>;
  /**
   * The token's `strategies` claim: the only strategies whose signals this viewer may see. Null when
   * the claim is absent (all strategies).
   */
  readonly strategies: ReadonlySet<string> | null;
  /** When the token expires (ms since the epoch); null if it never does. */
  readonly expiresAt: number | null;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
