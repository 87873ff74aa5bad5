import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';

import { TokenError, TokenService } from '../../src/auth/tokens.js';
import { testConfig } from '../support/test-config.js';

const SECRET = 'unit-test-secret-with-at-least-32-characters';
const service = new TokenService(testConfig({ JWT_SECRET: SECRET }).auth);
const key = new TextEncoder().encode(SECRET);

const now = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `payload` as given (no claims added), with `alg` and `secret` of choice. */
function sign(payload: JWTPayload, { alg = 'HS256', secret = key } = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(secret);
}

/** A payload that would be accepted if signed with the right secret and HS256. */
const claims = (extra: JWTPayload = {}): JWTPayload => ({ sub: 'alice', roles: ['trader'], iat: now(), exp: now() + 600, ...extra });

/** Expects `verify(authorization)` to be refused; returns the `TokenError`. */
async function refusal(authorization: string | null | undefined): Promise<TokenError> {
  const error: unknown = await service.verify(authorization).then(
    (viewer) => new Error(`expected a refusal, got viewer ${viewer.id}`),
    (reason: unknown) => reason,
  );
  if (!(error instanceof TokenError)) throw error;
  expect(error.name).toBe('TokenError');
  return error;
}

/** Asserts a refusal of the token `token` (sent as a Bearer header) and that the message does not echo it. */
async function refusalOf(token: string, kind: TokenError['kind'], message: string | RegExp): Promise<void> {
  const error = await refusal(`Bearer ${token}`);
  expect(error.kind).toBe(kind);
  expect(error.message).toMatch(message);
  expect(error.message).not.toContain(token);
  for (const segment of token.split('.').filter((part) => part.length > 8)) {
    expect(error.message).not.toContain(segment);
  }
}

describe('TokenService.issue + verify', () => {
  it('verifies an issued token with the Bearer prefix', async () => {
    const token = await service.issue('alice', ['trader', 'publisher']);
    const viewer = await service.verify(`Bearer ${token}`);
    expect(viewer.id).toBe('alice');
    expect([...viewer.roles].sort()).toEqual(['publisher', 'trader']);
  });

  it('verifies a bare token (no prefix) and a lower-case prefix with extra spaces', async () => {
    const token = await service.issue('bob', ['admin']);
    expect((await service.verify(token)).id).toBe('bob');
    expect((await service.verify(`bearer   ${token}  `)).roles).toEqual(new Set(['admin']));
  });

  it('issues HS256 tokens with sub, roles, iat and a 12h default expiry', async () => {
    const token = await service.issue('carol', ['trader']);
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: 'carol', roles: ['trader'] });
    expect(payload.exp - payload.iat).toBe(12 * 3600);
  });

  it('keeps the known roles and drops unknown ones', async () => {
    const token = await sign(claims({ roles: ['root', 'trader', 42, 'ADMIN', 'publisher', 'trader'] }));
    const viewer = await service.verify(`Bearer ${token}`);
    expect(viewer.roles).toEqual(new Set(['trader', 'publisher']));
  });
});

describe('TokenService.verify refusals', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty string', ''],
  ])('missing header (%s)', async (_, header) => {
    const error = await refusal(header);
    expect(error.kind).toBe('unauthenticated');
    expect(error.message).toMatch(/missing token/);
  });

  it.each([
    ['Basic xyz', 'xyz'],
    ['Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
    ['Bearer', ''],
    ['Bearer abc def', 'abc def'],
    ['garbage', 'garbage'],
    ['not a token at all', 'not a token at all'],
  ])('malformed authorization %j', async (header, credential) => {
    const error = await refusal(header);
    expect(error.kind).toBe('unauthenticated');
    expect(error.message).toMatch(/malformed authorization/);
    if (credential !== '') expect(error.message).not.toContain(credential);
  });

  it.each([['garbage.garbage.garbage'], ['a.b.'], ['x.y.z.w']])('garbage token %s', async (token) => {
    await refusalOf(token, 'unauthenticated', 'malformed token');
  });

  it('a well-formed HS256 token whose signature is garbage', async () => {
    const token = `${base64url({ alg: 'HS256' })}.${base64url(claims())}.c2lnbmF0dXJl`;
    await refusalOf(token, 'unauthenticated', 'token signature is invalid');
  });

  it('an expired token (issued with an exp in the past)', async () => {
    await refusalOf(await service.issue('alice', ['trader'], now() - 60), 'unauthenticated', 'token expired');
  });

  it('an expired token built with SignJWT', async () => {
    const token = await new SignJWT({ roles: ['trader'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuedAt(now() - 7200)
      .setExpirationTime(now() - 3600)
      .sign(key);
    await refusalOf(token, 'unauthenticated', 'token expired');
  });

  it('a token that is not valid yet (nbf in the future)', async () => {
    await refusalOf(await sign(claims({ nbf: now() + 3600 })), 'unauthenticated', 'token is not valid yet (nbf)');
  });

  it('a token signed with another secret', async () => {
    const other = new TokenService(testConfig({ JWT_SECRET: 'another-secret-that-is-also-32-characters-long' }).auth);
    await refusalOf(await other.issue('alice', ['admin']), 'unauthenticated', 'token signature is invalid');
  });

  it('an unsigned alg:none token', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims({ roles: ['admin'] }))}.`;
    await refusalOf(token, 'unauthenticated', 'token algorithm not allowed');
  });

  it('an alg:none token carrying the signature of a real token', async () => {
    const [, payload, signature] = (await service.issue('alice', ['admin'])).split('.');
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`;
    await refusalOf(token, 'unauthenticated', 'token algorithm not allowed');
  });

  it('a tampered payload (roles escalated to admin, signature kept)', async () => {
    const [header, payload, signature] = (await service.issue('alice', ['trader'])).split('.');
    const original = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as JWTPayload;
    const forged = `${header}.${base64url({ ...original, roles: ['admin'] })}.${signature}`;
    await refusalOf(forged, 'unauthenticated', 'token signature is invalid');
  });

  it('an HS512 token signed with the right secret (algorithm not allowed)', async () => {
    await refusalOf(await sign(claims(), { alg: 'HS512' }), 'unauthenticated', 'token algorithm not allowed');
  });

  it('a token without sub', async () => {
    const { sub: _omitted, ...withoutSub } = claims();
    await refusalOf(await sign(withoutSub), 'unauthenticated', 'token has no subject (sub)');
  });

  it('a token whose sub is empty', async () => {
    await refusalOf(await sign(claims({ sub: '' })), 'unauthenticated', 'token has no subject (sub)');
  });

  it.each([
    ['missing', undefined],
    ['a string', 'admin'],
    ['an object', { admin: true }],
    ['null', null],
  ])('a token whose roles is %s', async (_, roles) => {
    await refusalOf(await sign(claims({ roles })), 'forbidden', 'token has no roles array');
  });

  it.each([
    ['empty', []],
    ['only unknown roles', ['root', 'superuser']],
    ['wrong case', ['Admin', 'TRADER']],
    ['non-strings', [1, null, { role: 'admin' }]],
  ])('a token whose roles are %s', async (_, roles) => {
    await refusalOf(await sign(claims({ roles })), 'forbidden', 'token has none of the roles trader, publisher, admin');
  });
});
