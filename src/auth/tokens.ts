import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { isRole, type Role, type Viewer } from './viewer.js';

/** Why a token was refused; `message` is safe to send to the client. */
export class TokenError extends Error {
  constructor(
    message: string,
    /** `unauthenticated`: no usable identity; `forbidden`: a valid identity without any known role. */
    readonly kind: 'unauthenticated' | 'forbidden',
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/** Verifies HS256 JWTs carrying `sub` and a `roles` array, and issues them for development. */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  /** Accepts `"Bearer <jwt>"` or a bare JWT; throws `TokenError` with a client-safe reason. */
  async verify(authorization: string | null | undefined): Promise<Viewer> {
    const token = bearerToken(authorization);
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] }));
    } catch (error) {
      throw new TokenError(describeJoseError(error), 'unauthenticated');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new TokenError('token has no subject (sub)', 'unauthenticated');
    }
    const claimed: unknown = payload.roles;
    if (!Array.isArray(claimed)) throw new TokenError('token has no roles array', 'forbidden');
    const roles = new Set(claimed.filter(isRole));
    if (roles.size === 0) throw new TokenError('token has none of the roles trader, publisher, admin', 'forbidden');
    return { id: payload.sub, roles };
  }

  /**
   * Signs a token; used for the development tokens logged at start and by tests. `expiresAt` is a
   * duration string (`"12h"`, `"15m"`) or an absolute time in seconds since the epoch.
   */
  async issue(subject: string, roles: readonly Role[], expiresAt: string | number = '12h'): Promise<string> {
    return new SignJWT({ roles: [...roles] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.key);
  }
}

function bearerToken(authorization: string | null | undefined): string {
  if (!authorization) throw new TokenError('missing token (send "Authorization: Bearer <jwt>")', 'unauthenticated');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization) ?? /^(\S+\.\S+\.\S*)$/.exec(authorization);
  if (!match?.[1]) throw new TokenError('malformed authorization (expected "Bearer <jwt>")', 'unauthenticated');
  return match[1];
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim "${error.claim}" is not valid now`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed (HS256 only)';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  return 'malformed token';
}
