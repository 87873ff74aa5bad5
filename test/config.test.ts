import { describe, expect, it } from 'vitest';

import { parseClusterUrl, parseSentinelUrl } from '../src/bus/redis-connection.js';
import { ConfigError, DEFAULT_SYMBOLS, loadConfig } from '../src/config.js';

const SECRET = 'a-production-secret-of-at-least-32-characters';

/** Runs `loadConfig(env)` expecting it to throw, and returns the `ConfigError`. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig defaults (empty environment)', () => {
  it('listens on 0.0.0.0:4000 with the memory bus and the demo feed on the default symbols', () => {
    const config = loadConfig({});
    expect(config.server.port).toBe(4000);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.bus.redisUrl).toBeUndefined();
    expect(config.feed.enabled).toBe(true);
    expect(config.feed.symbols).toEqual(['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT']);
    expect(config.feed.symbols).toEqual([...DEFAULT_SYMBOLS]);
    expect(config.feed.ticksPerSecond).toBe(4);
    expect(config.backtests).toEqual({ barsPerSecond: 25_000, concurrency: 2 });
    expect(config.bus.historyMaxLen).toBe(1000);
    expect(config.bus.timeouts).toEqual({ commandTimeoutMs: 2000, connectTimeoutMs: 3000, retryMaxDelayMs: 1000 });
  });

  it('has the documented limits and WebSocket knobs', () => {
    const config = loadConfig({});
    expect(config.ws).toEqual({ keepAliveMs: 12_000, connectionInitTimeoutMs: 3000, maxPayloadBytes: 65_536, maxBufferedBytes: 262_144, writeDelayMs: 0 });
    expect(config.limits).toEqual({
      subscriptionsPerConnection: 100,
      connectionsPerUser: 20,
      connectionLeaseMs: 30_000,
      connectsPerMinute: 120,
      symbolsPerSubscription: 50,
      subscriptionQueueLimit: 500,
      priceReplayMax: 500,
      maxQueryDepth: 10,
      maxQueryAliases: 30,
      maxQueryFields: 1000,
      maxQueryTokens: 5000,
      mutationsPerSecond: 10,
      publishesPerSecond: 1000,
      publishBatchMax: 1000,
      publishMaxInFlight: 10_000,
    });
    expect(config.http).toEqual({ allowedOrigins: [], trustedProxies: [], maxBodyBytes: 262_144, metricsToken: undefined });
    expect(config.server.shutdownTimeoutMs).toBe(10_000);
    expect(config.auth.clockSkewSeconds).toBe(30);
    expect(config.logLevel).toBe('info');
  });

  it('is a development run: generated secret of >= 32 characters, dev tokens and GraphiQL on', () => {
    const config = loadConfig({});
    expect(config.server.production).toBe(false);
    expect(config.auth.devTokens).toBe(true);
    expect(config.server.graphiql).toBe(true);
    expect(config.auth.secret?.length).toBeGreaterThanOrEqual(32);
  });

  it('generates a fresh secret for every run', () => {
    expect(loadConfig({}).auth.secret).not.toBe(loadConfig({}).auth.secret);
  });

  it('treats empty strings like unset variables', () => {
    const config = loadConfig({ PORT: '', HOST: '', REDIS_URL: '', DEMO_FEED: '', FEED_SYMBOLS: '', GRAPHIQL: '' });
    expect(config).toMatchObject({
      server: { port: 4000, host: '0.0.0.0', graphiql: true },
      bus: { redisUrl: undefined },
      feed: { enabled: true, symbols: [...DEFAULT_SYMBOLS] },
    });
  });

  it('returns a copy of the default symbols, not the shared constant', () => {
    const config = loadConfig({});
    config.feed.symbols.push('XRP-USD');
    expect(loadConfig({}).feed.symbols).toEqual([...DEFAULT_SYMBOLS]);
  });
});

describe('loadConfig accepted values', () => {
  it('reads every knob', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: SECRET,
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      DEMO_FEED: 'off',
      FEED_SYMBOLS: ' ETH-USD , BRK.B,EUR/USD ,, ',
      FEED_TICKS_PER_SECOND: '0.5',
      BACKTEST_BARS_PER_SECOND: '0',
      BACKTEST_CONCURRENCY: '8',
      GRAPHIQL: 'No',
      HISTORY_MAX_LEN: '50',
      WS_WRITE_DELAY_MS: '5',
    });
    expect(config).toMatchObject({
      server: { port: 0, host: '127.0.0.1', production: false, graphiql: false },
      auth: { secret: SECRET, devTokens: false },
      bus: { redisUrl: 'rediss://user:pw@redis.internal:6380/2', historyMaxLen: 50 },
      feed: { enabled: false, symbols: ['ETH-USD', 'BRK.B', 'EUR/USD'], ticksPerSecond: 0.5 },
      backtests: { barsPerSecond: 0, concurrency: 8 },
      ws: { writeDelayMs: 5 },
    });
  });

  it('reads TRUSTED_PROXIES as addresses and CIDR subnets, and names an entry that is neither', () => {
    expect(loadConfig({}).http.trustedProxies).toEqual([]);
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.7, 172.28.0.0/16,::1' }).http.trustedProxies).toEqual(['10.0.0.7', '172.28.0.0/16', '::1']);
    expect(configError({ TRUSTED_PROXIES: '10.0.0.7,nginx' }).problems).toEqual([expect.stringMatching(/^TRUSTED_PROXIES has "nginx"/)]);
  });

  it('writes live frames at the end of the event-loop turn unless WS_WRITE_DELAY_MS says otherwise; refuses a bad delay', () => {
    expect(loadConfig({}).ws.writeDelayMs).toBe(0);
    for (const bad of ['-1', '1.5', '1001', 'soon']) {
      expect(configError({ WS_WRITE_DELAY_MS: bad }).problems).toEqual([expect.stringMatching(/^WS_WRITE_DELAY_MS/)]);
    }
  });

  it.each([
    ['1', true],
    ['true', true],
    ['YES', true],
    ['On', true],
    ['0', false],
    ['false', false],
    ['no', false],
    ['OFF', false],
  ])('reads DEMO_FEED=%s as %s', (raw, expected) => {
    expect(loadConfig({ DEMO_FEED: raw }).feed.enabled).toBe(expected);
  });

  it('accepts the port range bounds 0 and 65535', () => {
    expect(loadConfig({ PORT: '0' }).server.port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).server.port).toBe(65535);
  });

  it('accepts a redis+sentinel:// REDIS_URL and reads the Sentinels, master name and credentials from it', () => {
    const url = 'redis+sentinel://app:p%40ss@s1.internal:26380,[::1],10.0.0.3:26381/titan-master/2?sentinelPassword=s3cret';
    expect(loadConfig({ REDIS_URL: url }).bus.redisUrl).toBe(url);
    expect(parseSentinelUrl(url)).toEqual({
      sentinels: [
        { host: 's1.internal', port: 26380 },
        { host: '::1', port: 26379 },
        { host: '10.0.0.3', port: 26381 },
      ],
      name: 'titan-master',
      username: 'app',
      password: 'p@ss',
      db: 2,
      sentinelUsername: undefined,
      sentinelPassword: 's3cret',
    });
    expect(parseSentinelUrl('redis://localhost:6379')).toBeNull();
  });

  it('accepts a redis+cluster:// REDIS_URL and reads the nodes and credentials from it', () => {
    const url = 'redis+cluster://app:p%40ss@n1.internal:7000,[::1]:7001,10.0.0.3:7002';
    expect(loadConfig({ REDIS_URL: url }).bus.redisUrl).toBe(url);
    expect(parseClusterUrl(url)).toEqual({
      nodes: [
        { host: 'n1.internal', port: 7000 },
        { host: '::1', port: 7001 },
        { host: '10.0.0.3', port: 7002 },
      ],
      username: 'app',
      password: 'p@ss',
    });
    expect(parseClusterUrl('redis+sentinel://s1/mymaster')).toBeNull();
  });
});

describe('loadConfig refusals name the variable and the bad value', () => {
  it.each([
    ['PORT', 'abc', 'PORT must be a number'],
    ['PORT', '70000', 'PORT must be a number from 0 to 65535'],
    ['PORT', '-1', 'PORT must be a number from 0 to 65535'],
    ['PORT', '1.5', 'PORT must be a whole number'],
    ['DEMO_FEED', 'maybe', 'DEMO_FEED must be one of'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
    ['REDIS_COMMAND_TIMEOUT_MS', '0', 'REDIS_COMMAND_TIMEOUT_MS must be a number from 50 to 60000'],
    ['REDIS_RETRY_MAX_DELAY_MS', 'soon', 'REDIS_RETRY_MAX_DELAY_MS must be a number'],
    ['GRAPHIQL', 'enabled', 'GRAPHIQL must be one of'],
    ['FEED_TICKS_PER_SECOND', '0', 'FEED_TICKS_PER_SECOND must be a number from 0.1 to 1000'],
    ['FEED_TICKS_PER_SECOND', '1001', 'FEED_TICKS_PER_SECOND must be a number from 0.1 to 1000'],
    ['BACKTEST_CONCURRENCY', '0', 'BACKTEST_CONCURRENCY must be a number from 1 to 64'],
    ['REDIS_URL', 'http://x', 'REDIS_URL must start with redis://, rediss://, redis+sentinel:// or redis+cluster://'],
    ['REDIS_URL', 'redis://', 'REDIS_URL must start with redis://, rediss://, redis+sentinel:// or redis+cluster://'],
    ['REDIS_URL', 'redis://a b:6379', 'REDIS_URL must not contain spaces'],
    ['REDIS_URL', 'redis+sentinel://s1:26379', 'REDIS_URL is malformed: a Sentinel URL is redis+sentinel://'],
    ['REDIS_URL', 'redis+sentinel://s1:26379,s2:abc/mymaster', 'REDIS_URL is malformed: "s2:abc" is not a Sentinel host[:port]'],
    ['REDIS_URL', 'redis+sentinel://s1:99999/mymaster', 'REDIS_URL is malformed: "s1:99999" is not a Sentinel host[:port]'],
    ['REDIS_URL', 'redis+sentinel://s1/mymaster/x', 'REDIS_URL is malformed: the database after the master name must be a number'],
    ['REDIS_URL', 'redis+sentinel://s1/mymaster?password=x', 'REDIS_URL is malformed: unknown parameter "password"'],
    ['REDIS_URL', 'redis+cluster://', 'REDIS_URL is malformed: a cluster URL is redis+cluster://'],
    ['REDIS_URL', 'redis+cluster://n1:7000/0', 'REDIS_URL is malformed: a cluster URL is redis+cluster://'],
    ['REDIS_URL', 'redis+cluster://n1:7000?tls=1', 'REDIS_URL is malformed: a cluster URL is redis+cluster://'],
    ['REDIS_URL', 'redis+cluster://n1:7000,n2', 'REDIS_URL is malformed: "n2" is not a cluster node host:port'],
    ['REDIS_URL', 'redis+cluster://n1:70000', 'REDIS_URL is malformed: "n1:70000" is not a cluster node host:port'],
    ['HISTORY_MAX_LEN', '0', 'HISTORY_MAX_LEN must be a number from 1 to'],
    ['HISTORY_MAX_LEN', '10.5', 'HISTORY_MAX_LEN must be a whole number'],
  ])('%s=%s', (name, raw, reason) => {
    const error = configError({ [name]: raw });
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(reason);
    expect(error.message).toContain(name);
    expect(error.message).toContain(`"${raw}"`);
  });

  it.each([['btc-usd'], ['BTC USD'], ['-BTC'], ['A'.repeat(21)]])('FEED_SYMBOLS with malformed symbol %s', (bad) => {
    const error = configError({ FEED_SYMBOLS: `ETH-USD,${bad},AAPL` });
    expect(error.problems).toEqual([`FEED_SYMBOLS has a malformed symbol "${bad}"`]);
    expect(error.message).toContain('FEED_SYMBOLS');
    expect(error.message).toContain(`"${bad}"`);
  });

  it('never echoes a REDIS_URL password, the server\'s or a Sentinel\'s', () => {
    const error = configError({ REDIS_URL: 'redis+sentinel://:master-pw@s1:26379/mymaster/x?sentinelPassword=sentinel-pw' });
    expect(error.problems).toEqual([
      'REDIS_URL is malformed: the database after the master name must be a number (got "redis+sentinel://:***@s1:26379/mymaster/x?sentinelPassword=***")',
    ]);
    expect(configError({ REDIS_URL: 'redis+cluster://:cluster-pw@n1:7000,n2' }).problems).toEqual([
      'REDIS_URL is malformed: "n2" is not a cluster node host:port (got "redis+cluster://:***@n1:7000,n2")',
    ]);
  });

  it('JWT_SECRET too short: names the variable and the length, never the secret itself', () => {
    const error = configError({ JWT_SECRET: 'short-secret' });
    expect(error.problems).toEqual(['JWT_SECRET must be at least 32 characters (got 12)']);
    expect(error.message).not.toContain('short-secret');
  });

  it('accepts a JWT_SECRET of exactly 32 characters', () => {
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(32) }).auth.secret).toBe('x'.repeat(32));
  });

  it('METRICS_TOKEN: unset leaves /metrics open; set needs 16 printable characters, never echoed', () => {
    expect(loadConfig({}).http.metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: '' }).http.metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'scrape-token-0123' }).http.metricsToken).toBe('scrape-token-0123');
    for (const bad of ['too-short-token', 'has a space in it, long enough']) {
      const error = configError({ METRICS_TOKEN: bad });
      expect(error.problems).toEqual([
        `METRICS_TOKEN must be at least 16 printable characters without spaces (got ${bad.length} characters)`,
      ]);
      expect(error.message).not.toContain(bad);
    }
  });

  it('reports every bad value at once, in one ConfigError', () => {
    const error = configError({
      PORT: 'abc',
      DEMO_FEED: 'maybe',
      FEED_SYMBOLS: 'BTC-USD,eth',
      FEED_TICKS_PER_SECOND: '0',
      REDIS_URL: 'http://x',
      JWT_SECRET: 'too-short',
      HISTORY_MAX_LEN: '0',
    });
    expect(error.problems).toHaveLength(7);
    for (const name of ['PORT', 'DEMO_FEED', 'FEED_SYMBOLS', 'FEED_TICKS_PER_SECOND', 'REDIS_URL', 'JWT_SECRET', 'HISTORY_MAX_LEN']) {
      expect(error.problems.some((problem) => problem.startsWith(name))).toBe(true);
    }
    // The message lists each problem on its own line.
    expect(error.message.split('\n')).toHaveLength(1 + 7);
  });

  // Values that are not empty but hold nothing usable must not fall back silently.
  it('PORT made only of spaces is refused', () => {
    expect(configError({ PORT: '  ' }).message).toContain('PORT');
  });

  it('FEED_SYMBOLS made only of commas is refused', () => {
    expect(configError({ FEED_SYMBOLS: ' , , ' }).message).toContain('FEED_SYMBOLS');
  });
});

describe('loadConfig in production', () => {
  it('refuses to start without JWT_SECRET', () => {
    const error = configError({ NODE_ENV: 'production' });
    expect(error.problems).toEqual(['JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL is required when NODE_ENV=production']);
    expect(error.message).toContain('JWT_SECRET');
  });

  it('refuses an empty JWT_SECRET', () => {
    const error = configError({ NODE_ENV: 'production', JWT_SECRET: '' });
    expect(error.problems).toContain('JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL is required when NODE_ENV=production');
  });

  it('with a secret: dev tokens and GraphiQL are off', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET });
    expect(config).toMatchObject({ server: { production: true, graphiql: false }, auth: { secret: SECRET, devTokens: false } });
  });

  it('GRAPHIQL=1 turns GraphiQL back on, but not dev tokens', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, GRAPHIQL: '1' });
    expect(config.server.graphiql).toBe(true);
    expect(config.auth.devTokens).toBe(false);
  });

  it('only NODE_ENV=production counts as production', () => {
    const config = loadConfig({ NODE_ENV: 'staging' });
    expect(config).toMatchObject({ server: { production: false, graphiql: true }, auth: { devTokens: true } });
  });
});
