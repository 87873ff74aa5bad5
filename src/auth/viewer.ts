/** Who is calling, as established from a verified token. */

export const ROLES = ['trader', 'publisher', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Viewer {
  /** The token's `sub`. */
  readonly id: string;
  readonly roles: ReadonlySet<Role>;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
