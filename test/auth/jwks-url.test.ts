import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenError, TokenService } from '../../src/auth/tokens.js';
import { UnavailableError } from '../../src/bus/unavailable.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { CloseCode } from '../../src/transport/close-codes.js';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startServer, type InProcessServer } from '../support/start-server.js';
import { TEST_ENV, TEST_SECRET, testConfig } from '../support/test-config.js';

/**
 * `JWKS_URL`: an identity provider's key set, served here by a real HTTP server on a free port whose
 * keys the test rotates, stops serving or stops answering.
 */

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** A JWKS endpoint: `keys` is what it serves now; `mode` makes it fail; `fetches` counts requests. */
class IdentityProvider {
  keys: JWK[] = [];
  mode: 'serve' | 'error' | 'hang' = 'serve';
  fetches = 0;
  private readonly server: Server;

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(): Promise<IdentityProvider> {
    let provider: IdentityProvider | null = null;
    const server = createServer((_request, response) => {
      if (!provider) return;
      provider.fetches += 1;
      if (provider.mode === 'hang') return; // never answers; the socket is closed by stop()
      if (provider.mode === 'error') {
        response.writeHead(503).end('down for maintenance');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: provider.keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    provider = new IdentityProvider(server);
    return provider;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: JWTPayload = {}): JWTPayload => ({ sub: 'alice', roles: ['trader'], iat: now(), exp: now() + 600, ...extra });

function sign(key: CryptoKey, kid: string, alg = 'RS256', payload: JWTPayload = claims()): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', kid }).sign(key);
}

async function jwk(pair: KeyPair, kid: string, alg = 'RS256'): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
}

/** What `verify` threw (or an error saying it did not). */
async function refusal(service: TokenService, token: string): Promise<unknown> {
  return service.verify(`Bearer ${token}`).then(
    (viewer) => new Error(`expected a refusal, got viewer ${viewer.id}`),
    (error: unknown) => error,
  );
}

let keyA: KeyPair;
let keyB: KeyPair;
let keyEc: KeyPair;
let stranger: KeyPair;
const providers: IdentityProvider[] = [];
const services: InProcessServer[] = [];

async function provider(): Promise<IdentityProvider> {
  const started = await IdentityProvider.start();
  providers.push(started);
  return started;
}

/** A service as the server builds it from these variables (no JWT_SECRET unless given). */
const serviceFor = (env: Record<string, string>) => new TokenService(testConfig({ JWT_SECRET: '', ...env }).auth);

beforeAll(async () => {
  [keyA, keyB, keyEc, stranger] = await Promise.all([
    generateKeyPair('RS256', { extractable: true }),
    generateKeyPair('RS256', { extractable: true }),
    generateKeyPair('ES256', { extractable: true }),
    generateKeyPair('RS256', { extractable: true }),
  ]);
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((server) => server.stop()));
});

afterAll(async () => {
  await Promise.all(providers.map((started) => started.stop()));
});

describe('JWKS_URL configuration', () => {
  it('takes an http(s) URL with its fetch knobs, and makes no secret of its own', () => {
    const config = loadConfig({ ...TEST_ENV, JWT_SECRET: '', JWKS_URL: 'https://idp.example.com/.well-known/jwks.json' });
    expect(config.auth).toMatchObject({
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
      jwksTimeoutMs: 5000,
      jwksCooldownMs: 30_000,
      jwksCacheMaxAgeMs: 600_000,
      secret: undefined,
      devTokens: false,
    });
    expect(loadConfig({ ...TEST_ENV, NODE_ENV: 'production', JWT_SECRET: '', JWKS_URL: 'https://idp.example.com/jwks' }).auth.jwksUrl).toBeDefined();
    expect(loadConfig({ ...TEST_ENV, JWKS_URL: 'http://127.0.0.1:8080/jwks' }).auth.secret).toBe(TEST_SECRET);
  });

  it.each([
    ['not a URL', 'idp.example.com/jwks', 'JWKS_URL is not a URL'],
    ['another scheme', 'ftp://idp.example.com/jwks', 'JWKS_URL must start with https:// or http://'],
    ['spaces', 'https://idp.example.com/my jwks', 'JWKS_URL must not contain spaces'],
    ['credentials', 'https://user:secret@idp.example.com/jwks', 'JWKS_URL must not carry credentials'],
  ])('refuses %s at start-up, naming the variable and not the secret parts', (_case, value, message) => {
    const error = (() => {
      try {
        loadConfig({ ...TEST_ENV, JWKS_URL: value });
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toContain(message);
    expect((error as ConfigError).message).not.toContain('secret@');
  });

  it('refuses JWKS_URL together with JWT_PUBLIC_KEY, and bad fetch knobs', () => {
    expect(() => loadConfig({ ...TEST_ENV, JWKS_URL: 'https://idp.example.com/jwks', JWT_PUBLIC_KEY: '/etc/key.pem' })).toThrow(
      /JWKS_URL and JWT_PUBLIC_KEY cannot be used together/,
    );
    expect(() => loadConfig({ ...TEST_ENV, JWKS_URL: 'https://idp.example.com/jwks', JWKS_TIMEOUT_MS: '0' })).toThrow(/JWKS_TIMEOUT_MS must be/);
  });
});

describe('TokenService with JWKS_URL', () => {
  it('verifies with the key set fetched on the first token, then from its cache', async () => {
    const idp = await provider();
    idp.keys = [await jwk(keyA, 'a'), await jwk(keyEc, 'ec', 'ES256')];
    const service = serviceFor({ JWKS_URL: idp.url });
    expect((await service.verify(await sign(keyA.privateKey, 'a'))).id).toBe('alice');
    expect((await service.verify(await sign(keyEc.privateKey, 'ec', 'ES256', claims({ sub: 'ec-user' })))).id).toBe('ec-user');
    expect(idp.fetches).toBe(1);
  });

  it('follows a rotation: a token naming the new kid makes it fetch again, and verifies', async () => {
    const idp = await provider();
    idp.keys = [await jwk(keyA, 'a')];
    const service = serviceFor({ JWKS_URL: idp.url, JWKS_COOLDOWN_MS: '200' });
    expect((await service.verify(await sign(keyA.privateKey, 'a'))).id).toBe('alice');
    idp.keys = [await jwk(keyB, 'b')];
    // Within the cooldown an unknown kid is refused without a fetch: tokens with made-up kids cannot
    // make the server hammer the identity provider.
    const early = await refusal(service, await sign(keyB.privateKey, 'b'));
    expect(early).toBeInstanceOf(TokenError);
    expect(idp.fetches).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const rotated = await service.verify(await sign(keyB.privateKey, 'b', 'RS256', claims({ sub: 'after-rotation' })));
    expect(rotated.id).toBe('after-rotation');
    expect(idp.fetches).toBe(2);
    // Key A is gone from the set: its tokens are now refused.
    expect(await refusal(service, await sign(keyA.privateKey, 'a'))).toMatchObject({ kind: 'unauthenticated' });
  });

  it('refuses a kid the identity provider does not have, and a token signed by another key, as UNAUTHENTICATED', async () => {
    const idp = await provider();
    idp.keys = [await jwk(keyA, 'a')];
    const service = serviceFor({ JWKS_URL: idp.url, JWKS_COOLDOWN_MS: '0' });
    const unknown = await refusal(service, await sign(stranger.privateKey, 'nobody-knows'));
    expect(unknown).toBeInstanceOf(TokenError);
    expect(unknown).toMatchObject({ kind: 'unauthenticated', message: 'no key matches the token (kid)' });
    const forged = await refusal(service, await sign(stranger.privateKey, 'a'));
    expect(forged).toMatchObject({ kind: 'unauthenticated', message: 'token signature is invalid' });
    // An HS256 token is refused without a secret, whatever it claims.
    const hs = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'a' }).sign(new TextEncoder().encode(TEST_SECRET));
    expect(await refusal(service, hs)).toMatchObject({ message: 'token algorithm not allowed' });
  });

  it('combined with JWT_SECRET, verifies HS256 tokens with the secret without fetching', async () => {
    const idp = await provider();
    idp.keys = [await jwk(keyA, 'a')];
    const service = serviceFor({ JWKS_URL: idp.url, JWT_SECRET: TEST_SECRET });
    expect((await service.verify(await service.issue('hs-user', ['trader']))).id).toBe('hs-user');
    expect(idp.fetches).toBe(0);
    expect((await service.verify(await sign(keyA.privateKey, 'a'))).id).toBe('alice');
  });

  it.each([
    ['refuses connections', 'down'],
    ['answers 503', 'error'],
    ['does not answer in time', 'hang'],
  ] as const)('answers UnavailableError (UNAVAILABLE, retryAfterMs) while the identity provider %s', async (_case, how) => {
    const idp = await provider();
    const url = idp.url;
    if (how === 'down') await idp.stop();
    else idp.mode = how;
    const lines: string[] = [];
    const log = { info: (_fields: object, message: string) => lines.push(message), warn: (_fields: object, message: string) => lines.push(message) };
    const service = new TokenService(testConfig({ JWT_SECRET: '', JWKS_URL: url, JWKS_TIMEOUT_MS: '300' }).auth, { log });
    const token = await sign(keyA.privateKey, 'a');
    await refusal(service, token);
    const error = await refusal(service, token);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 1000 });
    expect((error as Error).message).toBe("The identity provider's keys could not be fetched to verify the token; retry after 1000 ms");
    expect((error as Error).message).not.toContain('127.0.0.1');
    // Each token tried a fetch; the outage is logged once.
    expect(lines).toEqual(['identity provider keys unavailable: tokens that need them are answered UNAVAILABLE']);
    if (how !== 'down') {
      // Back: the next token fetches the set again and verifies.
      idp.mode = 'serve';
      idp.keys = [await jwk(keyA, 'a')];
      expect((await service.verify(token)).id).toBe('alice');
      expect(lines.at(-1)).toBe('identity provider keys fetched again');
    }
  });
});

describe('a server with JWKS_URL', () => {
  it('answers over HTTP and WebSocket with a provider key, UNAUTHENTICATED for an unknown kid, UNAVAILABLE (1013 on a socket) while the keys cannot be fetched', async () => {
    const idp = await provider();
    idp.keys = [await jwk(keyA, 'a')];
    const server = await startServer({ JWT_SECRET: '', JWKS_URL: idp.url, JWKS_COOLDOWN_MS: '0', JWKS_TIMEOUT_MS: '300' });
    services.push(server);
    const good = await sign(keyA.privateKey, 'a');
    const { data } = await execute<{ symbols: string[] }>(server.graphqlUrl, '{ symbols }', {}, good);
    expect(data?.symbols).toContain('BTC-USD');
    const socket = await ProtocolClient.connect(server.wsUrl, good);
    socket.close();

    const unknown = await execute(server.graphqlUrl, '{ symbols }', {}, await sign(stranger.privateKey, 'c'));
    expect(unknown.status).toBe(401);
    expect(unknown.errors?.[0]).toMatchObject({ message: 'Unauthenticated: no key matches the token (kid)', extensions: { code: 'UNAUTHENTICATED' } });

    // The provider goes away: a token naming a kid not in the cached set needs a fetch, which fails.
    idp.mode = 'error';
    const rotated = await sign(keyB.privateKey, 'b');
    const unavailable = await execute(server.graphqlUrl, '{ symbols }', {}, rotated);
    expect(unavailable.errors?.[0]).toMatchObject({ extensions: { code: 'UNAVAILABLE', retryAfterMs: 1000 } });
    expect(JSON.stringify(unavailable)).not.toMatch(/503|127\.0\.0\.1|JOSE|ECONNREFUSED|fetch failed|HTTP response/i);
    const refused = await ProtocolClient.open(server.wsUrl, { authorization: `Bearer ${rotated}` });
    const closed = await refused.waitForClose();
    expect(closed.code).toBe(CloseCode.TryAgainLater);
    expect(closed.reason).toMatch(/^Try again later: /);
    const query = encodeURIComponent('subscription { price(symbols: ["BTC-USD"]) { price } }');
    const stream = await fetch(`${server.graphqlUrl}?query=${query}`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${rotated}` } });
    // Refused with the typed error, not served, without internals.
    const streamBody = await stream.text();
    expect(streamBody).toContain('"code":"UNAVAILABLE"');
    expect(streamBody).not.toContain('"price":');
    expect(streamBody).not.toMatch(/JOSE|ECONNREFUSED|fetch failed|HTTP response/i);
    // Tokens with the cached key go on working meanwhile.
    expect((await execute(server.graphqlUrl, '{ symbols }', {}, good)).errors).toBeUndefined();

    // The provider is back with key B: the same token now verifies.
    idp.mode = 'serve';
    idp.keys = [await jwk(keyA, 'a'), await jwk(keyB, 'b')];
    expect((await execute(server.graphqlUrl, '{ symbols }', {}, rotated)).errors).toBeUndefined();
  });
});
