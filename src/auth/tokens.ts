import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  SignJWT,
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWSHeaderParameters,
  type JWTPayload,
  type FlattenedJWSInput,
} from 'jose';
import { isRole, type Role, type Viewer } from './viewer.js';

/** Why a token was refused; `message` is safe to send to the client (it never contains the token). */
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

/** Named as the `auth` knobs of `config.ts`, whose slice is passed as it is. */
export interface TokenServiceOptions {
  /** HS256 secret (at least 32 characters). */
  secret?: string;
  /** RS256/ES256 verification key: PEM text, or the path of a PEM or JWKS file. */
  publicKey?: string;
  /** Required `iss`, if any. */
  issuer?: string;
  /** Required `aud`, if any. */
  audience?: string;
  /** Seconds of tolerance on `exp` and `nbf`. */
  clockSkewSeconds: number;
}

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<KeyObject | Uint8Array | CryptoKey>;

/**
 * Verifies JWTs carrying `sub`, a `roles` array and optionally a `strategies` array: HS256 with a
 * shared secret and/or RS256/ES256 with a public key or a JWKS. Only those algorithms are accepted
 * (never `none`), `exp`/`nbf` are checked with a clock skew, `iss`/`aud` when configured.
 */
export class TokenService {
  private readonly secret: Uint8Array | null;
  private readonly resolvePublicKey: KeyResolver | null;
  private readonly algorithms: string[];

  constructor(private readonly options: TokenServiceOptions) {
    const { secret, publicKey } = options;
    if (!secret && !publicKey) throw new Error('TokenService needs a secret or a public key');
    this.secret = secret ? new TextEncoder().encode(secret) : null;
    const verification = publicKey ? loadPublicKey(publicKey) : null;
    this.resolvePublicKey = verification?.resolve ?? null;
    this.algorithms = [...(secret ? ['HS256'] : []), ...(verification?.algorithms ?? [])];
  }

  /** Accepts `"Bearer <jwt>"` or a bare JWT; throws `TokenError` with a client-safe reason. */
  async verify(authorization: string | null | undefined): Promise<Viewer> {
    const token = bearerToken(authorization);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header, input) => this.keyFor(header, input), {
        algorithms: this.algorithms,
        clockTolerance: this.options.clockSkewSeconds,
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
      }));
    } catch (error) {
      throw new TokenError(describeJoseError(error), 'unauthenticated');
    }
    return viewerOf(payload);
  }

  /**
   * Signs an HS256 token; used for the development tokens logged at start and by tests. `expiresAt`
   * is a duration string (`"12h"`, `"15m"`) or an absolute time in seconds since the epoch.
   */
  async issue(
    subject: string,
    roles: readonly Role[],
    expiresAt: string | number = '12h',
    claims: { strategies?: string[] } = {},
  ): Promise<string> {
    if (!this.secret) throw new Error('issuing tokens needs JWT_SECRET');
    return new SignJWT({ roles: [...roles], ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(this.secret);
  }

  private async keyFor(header: JWSHeaderParameters, input: FlattenedJWSInput) {
    if (header.alg === 'HS256' && this.secret) return this.secret;
    if (this.resolvePublicKey) return this.resolvePublicKey(header, input);
    throw new joseErrors.JOSEAlgNotAllowed('algorithm not allowed');
  }
}

function viewerOf(payload: JWTPayload): Viewer {
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new TokenError('token has no subject (sub)', 'unauthenticated');
  }
  const claimed: unknown = payload.roles;
  if (!Array.isArray(claimed)) throw new TokenError('token has no roles array', 'forbidden');
  const roles = new Set(claimed.filter(isRole));
  if (roles.size === 0) throw new TokenError('token has none of the roles trader, publisher, admin', 'forbidden');
  const entitled: unknown = payload.strategies;
  if (entitled !== undefined && !(Array.isArray(entitled) && entitled.every((s) => typeof s === 'string'))) {
    throw new TokenError('token claim "strategies" must be an array of strategy ids', 'unauthenticated');
  }
  return {
    id: payload.sub,
    roles,
    strategies: entitled === undefined ? null : new Set(entitled as string[]),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
  };
}

/** A PEM key or a JWKS, given inline or as a file path, and the algorithms it verifies. */
function loadPublicKey(value: string): { resolve: KeyResolver; algorithms: string[] } {
  const inline = value.trim();
  const text = (inline.startsWith('-----BEGIN') || inline.startsWith('{') ? inline : readFileSync(inline, 'utf8')).trim();
  if (text.startsWith('{')) {
    const jwks = createLocalJWKSet(JSON.parse(text) as Parameters<typeof createLocalJWKSet>[0]);
    return { resolve: async (header, input) => jwks(header, input), algorithms: ['RS256', 'ES256'] };
  }
  const key = createPublicKey(text);
  const algorithm = key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  return { resolve: async () => key, algorithms: [algorithm] };
}

function bearerToken(authorization: string | null | undefined): string {
  if (!authorization) throw new TokenError('missing token (send "Authorization: Bearer <jwt>")', 'unauthenticated');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization) ?? /^(\S+\.\S+\.\S*)$/.exec(authorization);
  if (!match?.[1]) throw new TokenError('malformed authorization (expected "Bearer <jwt>")', 'unauthenticated');
  return match[1];
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return error.claim === 'nbf' ? 'token is not valid yet (nbf)' : `token claim "${error.claim}" is not valid`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key matches the token (kid)';
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'several keys match the token: it must name one (kid)';
  return 'malformed token';
}
