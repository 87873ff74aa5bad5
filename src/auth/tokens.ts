import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  SignJWT,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  jwtVerify,
  type JWSHeaderParameters,
  type JWTPayload,
  type FlattenedJWSInput,
} from 'jose';
import { UnavailableError } from '../bus/unavailable.js';
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
  /** An identity provider's JWKS endpoint (`https://` or `http://`), fetched with the three knobs below. */
  jwksUrl?: string;
  /** Longest wait for the key set. */
  jwksTimeoutMs?: number;
  /** After a fetch, how long an unknown `kid` is refused before it may cause another. */
  jwksCooldownMs?: number;
  /** How long a fetched key set is used before it is fetched again. */
  jwksCacheMaxAgeMs?: number;
  /** Required `iss`, if any. */
  issuer?: string;
  /** Required `aud`, if any. */
  audience?: string;
  /** Seconds of tolerance on `exp` and `nbf`. */
  clockSkewSeconds: number;
}

/** Where the service reports the identity provider's key set becoming unreachable and reachable again: a pino logger fits. */
export interface TokenServiceLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<KeyObject | Uint8Array | CryptoKey>;

/**
 * The `retryAfterMs` a client is told while the identity provider's key set cannot be fetched. A
 * failed fetch is not remembered: the next token that needs the set fetches it again (one fetch at a
 * time), so a retry after a second may already succeed.
 */
export const KEY_SET_RETRY_AFTER_MS = 1000;

/**
 * Verifies JWTs carrying `sub`, a `roles` array and optionally a `strategies` array: HS256 with a
 * shared secret and/or RS256/ES256 with a public key, a JWKS file or an identity provider's JWKS URL.
 * Only those algorithms are accepted (never `none`), `exp`/`nbf` are checked with a clock skew,
 * `iss`/`aud` when configured.
 */
export class TokenService {
  private readonly secret: Uint8Array | null;
  private readonly resolvePublicKey: KeyResolver | null;
  private readonly algorithms: string[];

  /** `log`: where an unreachable key set (`jwksUrl`) is reported, once when it starts failing and once when it is fetched again. */
  constructor(
    private readonly options: TokenServiceOptions,
    { log }: { log?: TokenServiceLog } = {},
  ) {
    const { secret, publicKey, jwksUrl } = options;
    if (!secret && !publicKey && !jwksUrl) throw new Error('TokenService needs a secret, a public key or a JWKS URL');
    if (publicKey && jwksUrl) throw new Error('TokenService takes a public key or a JWKS URL, not both');
    this.secret = secret ? new TextEncoder().encode(secret) : null;
    const verification = publicKey ? loadPublicKey(publicKey) : jwksUrl ? remoteKeySet(jwksUrl, options, log) : null;
    this.resolvePublicKey = verification?.resolve ?? null;
    this.algorithms = [...(secret ? ['HS256'] : []), ...(verification?.algorithms ?? [])];
  }

  /**
   * Accepts `"Bearer <jwt>"` or a bare JWT; throws `TokenError` with a client-safe reason, or
   * `UnavailableError` (`UNAVAILABLE`, `retryAfterMs`) when the identity provider's key set is needed
   * and cannot be fetched: the token may well be valid, so that is no reason to refuse it.
   */
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
      if (error instanceof UnavailableError) throw error;
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

/**
 * An identity provider's key set, fetched by jose (`createRemoteJWKSet`): on the first token, when a
 * token names an unknown `kid` and the last fetch is older than the cooldown, and when the set is older
 * than its maximum age. A failed fetch (network, timeout, an answer other than 200 with a JWKS) becomes
 * `UnavailableError`; a `kid` the fetched set does not have stays jose's "no matching key" (refused).
 */
function remoteKeySet(
  url: string,
  { jwksTimeoutMs, jwksCooldownMs, jwksCacheMaxAgeMs }: TokenServiceOptions,
  log: TokenServiceLog | undefined,
): { resolve: KeyResolver; algorithms: string[] } {
  let failing = false;
  /** What fetch itself threw (connection refused, DNS, TLS): jose passes it on as it is. */
  const fetchErrors = new WeakSet<object>();
  const where = new URL(url);
  const endpoint = `${where.origin}${where.pathname}`;
  const failed = (reason: string) => {
    if (!failing) log?.warn({ jwks: endpoint, reason }, 'identity provider keys unavailable: tokens that need them are answered UNAVAILABLE');
    failing = true;
  };
  const keys = createRemoteJWKSet(where, {
    timeoutDuration: jwksTimeoutMs,
    cooldownDuration: jwksCooldownMs,
    cacheMaxAge: jwksCacheMaxAgeMs,
    // jose's own fetch, watched: the outage is logged once, not once per token.
    [customFetch]: async (resource, init) => {
      const response = await fetch(resource, init).catch((error: unknown) => {
        failed(reasonOf(error));
        if (typeof error === 'object' && error !== null) fetchErrors.add(error);
        throw error;
      });
      if (response.status !== 200) failed(`HTTP ${response.status}`);
      else if (failing) {
        failing = false;
        log?.info({ jwks: endpoint }, 'identity provider keys fetched again');
      }
      return response;
    },
  });
  const resolve: KeyResolver = async (header, input) => {
    try {
      return await keys(header, input);
    } catch (error) {
      if (!isKeySetFailure(error, fetchErrors)) throw error;
      if (error instanceof joseErrors.JWKSInvalid || (error instanceof joseErrors.JOSEError && error.code === 'ERR_JOSE_GENERIC')) {
        failed(error.message);
      }
      throw new UnavailableError(
        `The identity provider's keys could not be fetched to verify the token; retry after ${KEY_SET_RETRY_AFTER_MS} ms`,
        KEY_SET_RETRY_AFTER_MS,
        { cause: error },
      );
    }
  };
  return { resolve, algorithms: ['RS256', 'ES256'] };
}

/**
 * True when verifying failed because the key set could not be had (fetch refused or timed out, an
 * answer other than 200, a body that is no JWKS), not because of the token or a key in the set.
 */
function isKeySetFailure(error: unknown, fetchErrors: WeakSet<object>): boolean {
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return true;
  // jose's generic error is what it throws for a non-200 answer and a body that is not JSON; its
  // subclasses (no matching key, unsupported key, ...) carry their own codes.
  if (error instanceof joseErrors.JOSEError) return error.code === 'ERR_JOSE_GENERIC';
  return typeof error === 'object' && error !== null && fetchErrors.has(error);
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; name?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  return error instanceof Error ? error.message.split('\n')[0]!.slice(0, 200) : String(error);
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
