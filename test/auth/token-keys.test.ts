import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TokenError, TokenService } from '../../src/auth/tokens.js';
import { testConfig } from '../support/test-config.js';

const SECRET = 'unit-test-secret-with-at-least-32-characters';
const ISSUER = 'https://auth.titan.test';
const AUDIENCE = 'titan-realtime';

const now = () => Math.floor(Date.now() / 1000);

/** A payload that is accepted by a service holding the right key (no iss/aud, 10 minutes left). */
const claims = (extra: JWTPayload = {}): JWTPayload => ({ sub: 'alice', roles: ['trader'], iat: now(), exp: now() + 600, ...extra });

/** Signs `payload` exactly as given (no claims added) with `alg`, `key` and an optional `kid`. */
function sign(payload: JWTPayload, alg: string, key: CryptoKey | Uint8Array, kid?: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...(kid === undefined ? {} : { kid }) }).sign(key);
}

/** Expects `service.verify(Bearer token)` to be refused with `kind` and `message`, without echoing the token. */
async function expectRefused(
  service: TokenService,
  token: string,
  message: string | RegExp,
  kind: TokenError['kind'] = 'unauthenticated',
): Promise<TokenError> {
  const error: unknown = await service.verify(`Bearer ${token}`).then(
    (viewer) => new Error(`expected a refusal, got viewer ${viewer.id}`),
    (reason: unknown) => reason,
  );
  if (!(error instanceof TokenError)) throw error;
  expect(error.name).toBe('TokenError');
  expect(error.kind).toBe(kind);
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  expect(error.message).not.toContain(token);
  const segments = token.split('.');
  expect(segments).toHaveLength(3);
  for (const segment of segments) {
    expect(segment.length).toBeGreaterThan(0);
    expect(error.message).not.toContain(segment);
  }
  return error;
}

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let dir: string;
let rsa: KeyPair; // the inline-PEM key, also "k1" of the JWKS
let rsa2: KeyPair; // "k2" of the JWKS
let otherRsa: KeyPair; // known to no service
let ec: KeyPair; // the PEM-file key
let rsaPem: string;
let ecPemPath: string;
let jwksPath: string;
const hmac = new TextEncoder().encode(SECRET);

/** Services built after the keys exist. */
let rsaService: TokenService;
let ecService: TokenService;
let jwksService: TokenService;
let secretService: TokenService;

/** A service as these `JWT_*` variables configure the server's: no secret unless given, other knobs at their defaults. */
const serviceFor = (env: Record<string, string>) => new TokenService(testConfig({ JWT_SECRET: '', ...env }).auth);
const rsaWith = (env: Record<string, string> = {}) => serviceFor({ JWT_PUBLIC_KEY: rsaPem, ...env });

beforeAll(async () => {
  [rsa, rsa2, otherRsa, ec] = await Promise.all([
    generateKeyPair('RS256', { extractable: true }),
    generateKeyPair('RS256', { extractable: true }),
    generateKeyPair('RS256', { extractable: true }),
    generateKeyPair('ES256', { extractable: true }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'titan-token-keys-'));
  rsaPem = await exportSPKI(rsa.publicKey);
  ecPemPath = join(dir, 'es256.pem');
  await writeFile(ecPemPath, await exportSPKI(ec.publicKey));
  jwksPath = join(dir, 'jwks.json');
  const jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'k1', use: 'sig' },
      { ...(await exportJWK(rsa2.publicKey)), kid: 'k2', use: 'sig' },
    ],
  };
  await writeFile(jwksPath, JSON.stringify(jwks));

  rsaService = rsaWith();
  ecService = serviceFor({ JWT_PUBLIC_KEY: ecPemPath });
  jwksService = serviceFor({ JWT_PUBLIC_KEY: jwksPath });
  secretService = serviceFor({ JWT_SECRET: SECRET });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('TokenService public keys', () => {
  it('accepts RS256 tokens with an inline PEM key', async () => {
    const payload = claims({ sub: 'rsa-user', roles: ['trader', 'publisher'] });
    const viewer = await rsaService.verify(`Bearer ${await sign(payload, 'RS256', rsa.privateKey)}`);
    expect(viewer.id).toBe('rsa-user');
    expect(viewer.roles).toEqual(new Set(['trader', 'publisher']));
    expect(viewer.expiresAt).toBe((payload.exp as number) * 1000);
  });

  it('accepts an inline PEM preceded by a newline', async () => {
    const service = serviceFor({ JWT_PUBLIC_KEY: `\n${rsaPem}` });
    expect((await service.verify(await sign(claims(), 'RS256', rsa.privateKey))).id).toBe('alice');
  });

  // An indented PEM (e.g. from YAML) must load too.
  it('accepts an inline PEM indented with spaces', async () => {
    const service = serviceFor({ JWT_PUBLIC_KEY: `  ${rsaPem}` });
    expect((await service.verify(await sign(claims(), 'RS256', rsa.privateKey))).id).toBe('alice');
  });

  it('accepts ES256 tokens with the path of a PEM file', async () => {
    const viewer = await ecService.verify(`Bearer ${await sign(claims({ sub: 'ec-user' }), 'ES256', ec.privateKey)}`);
    expect(viewer.id).toBe('ec-user');
    expect(viewer.roles).toEqual(new Set(['trader']));
  });

  it('an ES256 key does not verify RS256 tokens, nor an RS256 key ES256 tokens', async () => {
    await expectRefused(ecService, await sign(claims(), 'RS256', rsa.privateKey), 'token algorithm not allowed');
    await expectRefused(rsaService, await sign(claims(), 'ES256', ec.privateKey), 'token algorithm not allowed');
  });

  it('accepts tokens from either key of a JWKS file when the header names its kid', async () => {
    const one = await jwksService.verify(`Bearer ${await sign(claims({ sub: 'one' }), 'RS256', rsa.privateKey, 'k1')}`);
    const two = await jwksService.verify(`Bearer ${await sign(claims({ sub: 'two' }), 'RS256', rsa2.privateKey, 'k2')}`);
    expect(one.id).toBe('one');
    expect(two.id).toBe('two');
  });

  it('refuses a JWKS token whose kid matches no key', async () => {
    await expectRefused(jwksService, await sign(claims(), 'RS256', rsa.privateKey, 'k3'), 'no key matches the token (kid)');
  });

  it('refuses a JWKS token that names the kid of a key other than the one that signed it', async () => {
    await expectRefused(jwksService, await sign(claims(), 'RS256', rsa2.privateKey, 'k1'), 'token signature is invalid');
  });

  it('refuses a token signed by another RSA key', async () => {
    await expectRefused(rsaService, await sign(claims(), 'RS256', otherRsa.privateKey), 'token signature is invalid');
    await expectRefused(jwksService, await sign(claims(), 'RS256', otherRsa.privateKey, 'k1'), 'token signature is invalid');
  });

  it('refuses HS256 tokens when only a public key is configured, whatever the secret', async () => {
    const secrets = [hmac, new TextEncoder().encode(rsaPem), new TextEncoder().encode('x'.repeat(64))];
    for (const secret of secrets) {
      await expectRefused(rsaService, await sign(claims(), 'HS256', secret), 'token algorithm not allowed');
      await expectRefused(jwksService, await sign(claims(), 'HS256', secret, 'k1'), 'token algorithm not allowed');
    }
    const ecPem = new TextEncoder().encode(await exportSPKI(ec.publicKey));
    await expectRefused(ecService, await sign(claims(), 'HS256', ecPem), 'token algorithm not allowed');
  });

  it('refuses RS256 tokens when only a secret is configured', async () => {
    await expectRefused(secretService, await sign(claims(), 'RS256', rsa.privateKey), 'token algorithm not allowed');
    await expectRefused(secretService, await sign(claims(), 'ES256', ec.privateKey), 'token algorithm not allowed');
  });

  it('with both a secret and a public key, accepts HS256 and RS256 tokens', async () => {
    const both = serviceFor({ JWT_SECRET: SECRET, JWT_PUBLIC_KEY: rsaPem });
    expect((await both.verify(await sign(claims({ sub: 'h' }), 'HS256', hmac))).id).toBe('h');
    expect((await both.verify(await sign(claims({ sub: 'r' }), 'RS256', rsa.privateKey))).id).toBe('r');
    await expectRefused(both, await sign(claims(), 'RS256', otherRsa.privateKey), 'token signature is invalid');
  });
});

describe('TokenService issuer and audience', () => {
  let checked: TokenService;
  beforeAll(() => {
    checked = rsaWith({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
  });

  it('accepts matching iss and aud (aud as a string or an array containing it)', async () => {
    expect((await checked.verify(await sign(claims({ iss: ISSUER, aud: AUDIENCE }), 'RS256', rsa.privateKey))).id).toBe('alice');
    const inArray = claims({ iss: ISSUER, aud: ['another-api', AUDIENCE] });
    expect((await checked.verify(await sign(inArray, 'RS256', rsa.privateKey))).id).toBe('alice');
  });

  it('refuses a wrong or missing iss, naming the claim', async () => {
    const wrong = await sign(claims({ iss: 'https://evil.test', aud: AUDIENCE }), 'RS256', rsa.privateKey);
    await expectRefused(checked, wrong, 'token claim "iss" is not valid');
    const missing = await sign(claims({ aud: AUDIENCE }), 'RS256', rsa.privateKey);
    await expectRefused(checked, missing, 'token claim "iss" is not valid');
  });

  it('refuses a wrong or missing aud, naming the claim', async () => {
    const wrong = await sign(claims({ iss: ISSUER, aud: 'another-api' }), 'RS256', rsa.privateKey);
    await expectRefused(checked, wrong, 'token claim "aud" is not valid');
    const wrongArray = await sign(claims({ iss: ISSUER, aud: ['another-api', 'third-api'] }), 'RS256', rsa.privateKey);
    await expectRefused(checked, wrongArray, 'token claim "aud" is not valid');
    const missing = await sign(claims({ iss: ISSUER }), 'RS256', rsa.privateKey);
    await expectRefused(checked, missing, 'token claim "aud" is not valid');
  });

  it('checks only the configured one', async () => {
    const issuerOnly = rsaWith({ JWT_ISSUER: ISSUER });
    expect((await issuerOnly.verify(await sign(claims({ iss: ISSUER, aud: 'anything' }), 'RS256', rsa.privateKey))).id).toBe('alice');
    await expectRefused(issuerOnly, await sign(claims({ aud: AUDIENCE }), 'RS256', rsa.privateKey), /"iss"/);
    const audienceOnly = rsaWith({ JWT_AUDIENCE: AUDIENCE });
    expect((await audienceOnly.verify(await sign(claims({ iss: 'whoever', aud: AUDIENCE }), 'RS256', rsa.privateKey))).id).toBe('alice');
    await expectRefused(audienceOnly, await sign(claims({ iss: ISSUER }), 'RS256', rsa.privateKey), /"aud"/);
  });

  it('does not check iss or aud when neither is configured', async () => {
    const any = await sign(claims({ iss: 'https://anyone.test', aud: 'someone-else' }), 'RS256', rsa.privateKey);
    expect((await rsaService.verify(any)).id).toBe('alice');
    expect((await rsaService.verify(await sign(claims(), 'RS256', rsa.privateKey))).id).toBe('alice');
  });
});

describe('TokenService clock skew', () => {
  let skew30: TokenService;
  let skew0: TokenService;
  beforeAll(() => {
    skew30 = rsaWith({ JWT_CLOCK_SKEW_S: '30' });
    skew0 = rsaWith({ JWT_CLOCK_SKEW_S: '0' });
  });
  const token = (extra: JWTPayload) => sign(claims(extra), 'RS256', rsa.privateKey);

  it('accepts a token expired 10 s ago with 30 s of skew, refuses one expired 60 s ago', async () => {
    const viewer = await skew30.verify(await token({ iat: now() - 600, exp: now() - 10 }));
    expect(viewer.id).toBe('alice');
    await expectRefused(skew30, await token({ iat: now() - 600, exp: now() - 60 }), 'token expired');
  });

  it('accepts nbf 10 s in the future with 30 s of skew, refuses nbf 60 s in the future', async () => {
    expect((await skew30.verify(await token({ nbf: now() + 10 }))).id).toBe('alice');
    await expectRefused(skew30, await token({ nbf: now() + 60 }), 'token is not valid yet (nbf)');
  });

  it('defaults to 30 s of skew', async () => {
    expect((await rsaService.verify(await token({ exp: now() - 10 }))).id).toBe('alice');
    expect((await rsaService.verify(await token({ nbf: now() + 10 }))).id).toBe('alice');
    await expectRefused(rsaService, await token({ exp: now() - 60 }), 'token expired');
    await expectRefused(rsaService, await token({ nbf: now() + 60 }), 'token is not valid yet (nbf)');
  });

  it('with 0 s of skew refuses the 10 s cases', async () => {
    await expectRefused(skew0, await token({ iat: now() - 600, exp: now() - 10 }), 'token expired');
    await expectRefused(skew0, await token({ nbf: now() + 10 }), 'token is not valid yet (nbf)');
    expect((await skew0.verify(await token({ nbf: now() - 10 }))).id).toBe('alice');
  });
});

describe('TokenService strategies claim and expiry', () => {
  const token = (extra: JWTPayload) => sign(claims(extra), 'RS256', rsa.privateKey);

  it('maps an absent strategies claim to null (all strategies)', async () => {
    expect((await rsaService.verify(await token({}))).strategies).toBeNull();
  });

  it('maps a strategies array to a Set', async () => {
    const viewer = await rsaService.verify(await token({ strategies: ['ma-crossover'] }));
    expect(viewer.strategies).toBeInstanceOf(Set);
    expect(viewer.strategies).toEqual(new Set(['ma-crossover']));
    const two = await rsaService.verify(await token({ strategies: ['ma-crossover', 'rsi-reversal'] }));
    expect(two.strategies).toEqual(new Set(['ma-crossover', 'rsi-reversal']));
  });

  it.each([
    ['a string', 'ma-crossover'],
    ['a number', 42],
    ['an object', { 'ma-crossover': true }],
    ['null', null],
    ['true', true],
    ['an array of numbers', [1, 2]],
    ['an array with a non-string entry', ['ma-crossover', 7]],
    ['an array with a null entry', ['ma-crossover', null]],
    ['an array with a nested array', [['ma-crossover']]],
  ])('refuses strategies that is %s (unauthenticated)', async (_label, strategies) => {
    await expectRefused(rsaService, await token({ strategies }), 'token claim "strategies" must be an array of strategy ids', 'unauthenticated');
  });

  it('sets expiresAt to exp * 1000', async () => {
    const exp = now() + 1234;
    expect((await rsaService.verify(await token({ exp }))).expiresAt).toBe(exp * 1000);
    const esExp = now() + 99;
    expect((await ecService.verify(await sign(claims({ exp: esExp }), 'ES256', ec.privateKey))).expiresAt).toBe(esExp * 1000);
  });

  it('sets expiresAt to null for a token without exp', async () => {
    const payload = claims();
    delete payload.exp;
    expect((await rsaService.verify(await sign(payload, 'RS256', rsa.privateKey))).expiresAt).toBeNull();
  });
});
