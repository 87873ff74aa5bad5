import { BlockList, isIP } from 'node:net';
import { parseClusterUrl, parseSentinelUrl, redactUrl, RedisUrlError, type RedisTimeouts } from './bus/redis-connection.js';
import { SYMBOL_PATTERN } from './domain/symbols.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './logger.js';

/**
 * Configuration from the environment, parsed and validated once at start-up. Every knob is listed
 * in the README's "Configuration" table; a bad value stops the process with a message naming the
 * variable and the value it had, never a silent fallback.
 */

export const DEFAULT_SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'AAPL', 'MSFT'] as const;

/**
 * Every knob, grouped by what it governs. Modules take a group as it is (or option fields named as its
 * fields) and have no defaults of their own: a knob's default is the one given here.
 */
export interface Config {
  server: ServerConfig;
  auth: AuthConfig;
  http: HttpConfig;
  ws: WsConfig;
  limits: Limits;
  bus: BusConfig;
  ingest: IngestConfig;
  feed: FeedConfig;
  backtests: BacktestsConfig;
  analytics: AnalyticsConfig;
  /** `LOG_LEVEL`: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. @default "info" */
  logLevel: LogLevel;
  /**
   * `LOG_FORMAT`: `json` (one JSON object per line) or `pretty` (a line a person reads; needs the
   * development dependency pino-pretty). @default "pretty" outside production when stdout is a
   * terminal, else "json"
   */
  logFormat: LogFormat;
}

/** Where the process listens, what it shows of itself, how long it takes to stop. */
export interface ServerConfig {
  /** `PORT`: TCP port of HTTP, SSE and WebSocket on `/graphql`. @default 4000 */
  port: number;
  /** `HOST`: interface to listen on. @default "0.0.0.0" */
  host: string;
  /**
   * `NODE_ENV === "production"`: masks errors, requires `JWT_SECRET`, `JWT_PUBLIC_KEY` or `JWKS_URL`, turns
   * GraphiQL, introspection and dev tokens off.
   */
  production: boolean;
  /** `INTROSPECTION`: answer schema introspection. @default true, false in production */
  introspection: boolean;
  /** `GRAPHIQL`: serve GraphiQL on a browser GET of `/graphql`. @default true, false in production */
  graphiql: boolean;
  /** `SHUTDOWN_TIMEOUT_MS`: on SIGTERM, how long in-flight work may take before the process exits. @default 10000 */
  shutdownTimeoutMs: number;
}

/** How tokens are verified (`TokenService`). */
export interface AuthConfig {
  /**
   * `JWT_SECRET`: HS256 secret, at least 32 characters. When none of it, `JWT_PUBLIC_KEY` and
   * `JWKS_URL` is set outside production, a random one is made for the run and ready-to-use tokens are
   * logged. Undefined when only `JWT_PUBLIC_KEY` or `JWKS_URL` verifies tokens.
   */
  secret: string | undefined;
  /**
   * `JWT_PUBLIC_KEY`: verify RS256/ES256 tokens with this key: PEM text (`-----BEGIN PUBLIC KEY-----`)
   * or the path of a PEM or JWKS (`{"keys": [...]}`) file.
   */
  publicKey: string | undefined;
  /**
   * `JWKS_URL`: verify RS256/ES256 tokens with the keys an identity provider publishes at this
   * `https://` (or `http://`) URL (its JWKS endpoint). Fetched on the first token, again when a token
   * names a `kid` the set does not have (a rotation; at most once per `JWKS_COOLDOWN_MS`) and when the
   * set is older than `JWKS_CACHE_MAX_AGE_MS`. While it cannot be fetched, a token that needs it is
   * answered UNAVAILABLE with `retryAfterMs` (a WebSocket closes with 1013, try again later). Combines
   * with `JWT_SECRET` (HS256 tokens go on being verified with it), not with `JWT_PUBLIC_KEY`.
   */
  jwksUrl: string | undefined;
  /** `JWKS_TIMEOUT_MS`: longest wait for the identity provider's key set. @default 5000 */
  jwksTimeoutMs: number;
  /** `JWKS_COOLDOWN_MS`: after a fetch of the key set, how long an unknown `kid` is refused before it may cause another. @default 30000 */
  jwksCooldownMs: number;
  /** `JWKS_CACHE_MAX_AGE_MS`: how long a fetched key set is used before it is fetched again. @default 600000 */
  jwksCacheMaxAgeMs: number;
  /** `JWT_ISSUER`: when set, tokens must carry this `iss`. */
  issuer: string | undefined;
  /** `JWT_AUDIENCE`: when set, tokens must carry this `aud`. */
  audience: string | undefined;
  /** `JWT_CLOCK_SKEW_S`: tolerance in seconds for `exp` and `nbf`. @default 30 */
  clockSkewSeconds: number;
  /** True when the secret was made for this run: `/dev/token` and GraphiQL hand out dev tokens. */
  devTokens: boolean;
}

/** Who may call over HTTP (WebSockets open with an HTTP request too) and how large a request may be. */
export interface HttpConfig {
  /**
   * `ALLOWED_ORIGINS`: comma-separated origins (`https://desk.example.com`) allowed to open
   * WebSockets and make CORS requests, or `*`. The page's own origin is always allowed; requests
   * without an `Origin` header (non-browser clients) are not affected. @default none (same origin only)
   */
  allowedOrigins: string[];
  /**
   * `TRUSTED_PROXIES`: comma-separated addresses or CIDR subnets of the load balancers in front. From
   * a peer among them, the client's address is taken from `X-Forwarded-For` (for the per-IP connect
   * limit and the logs); from any other peer the header is ignored. @default none
   */
  trustedProxies: string[];
  /** `HTTP_MAX_BODY_BYTES`: largest HTTP request body accepted (413 above). @default 262144 */
  maxBodyBytes: number;
  /**
   * `METRICS_TOKEN`: when set, `/metrics` requires `Authorization: Bearer <METRICS_TOKEN>`; at least
   * 16 characters, no spaces. Unset: `/metrics` is open (keep it off the public network).
   */
  metricsToken: string | undefined;
}

/** How WebSocket connections are kept and written to. */
export interface WsConfig {
  /** `WS_KEEPALIVE_MS`: WebSocket ping interval; a peer silent for as long again is dropped. @default 12000 */
  keepAliveMs: number;
  /** `WS_INIT_TIMEOUT_MS`: time to send `connection_init` before the socket is closed with 4408. @default 3000 */
  connectionInitTimeoutMs: number;
  /** `WS_MAX_PAYLOAD_BYTES`: largest WebSocket message accepted; larger closes the socket with 1009. @default 65536 */
  maxPayloadBytes: number;
  /**
   * `WS_MAX_BUFFERED_BYTES`: bytes that may wait in one connection's send buffer (a WebSocket, or an
   * SSE response) on the shared path of live subscriptions; past it the connection gets the newest tick
   * per symbol until it drains, and its signal and backtest progress subscriptions end with
   * SLOW_CONSUMER (a WebSocket then closes with 4008). @default 262144
   */
  maxBufferedBytes: number;
  /**
   * `WS_WRITE_DELAY_MS`: how long frames of the shared path may wait to be written together. 0: until
   * the current task (one read from Redis, say) is done, with no added latency. A few ms trade that
   * much latency for fewer writes (less CPU) when each socket gets many events per second. @default 0
   */
  writeDelayMs: number;
}

/** What one client may send or hold. */
export interface Limits {
  /** `MAX_SUBSCRIPTIONS_PER_CONNECTION`: operations open at once on one WebSocket. @default 100 */
  subscriptionsPerConnection: number;
  /**
   * `MAX_CONNECTIONS_PER_USER`: WebSockets one user (`sub`) may hold (4429 above): on all instances
   * together with `REDIS_URL`, else on this one. @default 20
   */
  connectionsPerUser: number;
  /**
   * `CONNECTION_LEASE_MS`: with `REDIS_URL`, how long a WebSocket counts towards
   * `MAX_CONNECTIONS_PER_USER` in Redis without being renewed. Each instance renews its own every
   * third of it, so the connections of an instance that died stop counting after this. @default 30000
   */
  connectionLeaseMs: number;
  /**
   * `WS_CONNECTS_PER_MINUTE`: WebSocket connection attempts per client IP (429 above), counted on all
   * instances together with `REDIS_URL`. @default 120
   */
  connectsPerMinute: number;
  /** `MAX_SYMBOLS_PER_SUBSCRIPTION`: symbols one `price`/`signal` subscription may name. @default 50 */
  symbolsPerSubscription: number;
  /**
   * `SUBSCRIPTION_QUEUE_LIMIT`: live events that may wait for one slow subscriber. Past it, prices
   * are conflated (latest per symbol) and signal/backtest subscribers are disconnected. @default 500
   */
  subscriptionQueueLimit: number;
  /**
   * `PRICE_REPLAY_MAX`: ticks a `price` resume (`after`, `Last-Event-ID`) replays one by one. When more
   * of its symbols' ticks were published after its cursor (or some are no longer retained), it gets
   * the newest tick of each symbol that changed instead, then live: a price screen needs the latest
   * price, and past one history page a replay costs more reads and bytes than that snapshot. 0:
   * always the newest per symbol. A subscription with `maxRate` always gets the newest per symbol.
   * Signals and backtest progress always replay every event. @default 500
   */
  priceReplayMax: number;
  /** `MAX_QUERY_DEPTH`: deepest field nesting of a document. @default 10 */
  maxQueryDepth: number;
  /** `MAX_QUERY_ALIASES`: aliases in one document. @default 30 */
  maxQueryAliases: number;
  /** `MAX_QUERY_FIELDS`: field selections in one document, fragments expanded (its complexity). @default 1000 */
  maxQueryFields: number;
  /** `MAX_QUERY_TOKENS`: lexical tokens in one document; a longer one is a syntax error. @default 5000 */
  maxQueryTokens: number;
  /**
   * `MUTATIONS_PER_SECOND`: sustained mutation rate per user (burst: twice as many), on all instances
   * together with `REDIS_URL` (one Redis script per mutation; while Redis does not answer within
   * `REDIS_COMMAND_TIMEOUT_MS`, each instance counts alone). @default 10
   */
  mutationsPerSecond: number;
  /** `PUBLISHES_PER_SECOND`: sustained mutation rate per user with role `publisher`, shared like `MUTATIONS_PER_SECOND`. @default 1000 */
  publishesPerSecond: number;
  /**
   * `PUBLISH_BATCH_MAX`: inputs one `publishPrices` or `publishSignals` may carry; a longer batch is
   * refused as a whole (BAD_USER_INPUT). Each input counts against the publisher's rate, so a batch
   * over the rate's burst (twice `PUBLISHES_PER_SECOND`) is refused too. @default 1000
   */
  publishBatchMax: number;
  /**
   * `PUBLISH_MAX_IN_FLIGHT`: inputs of publish mutations one instance executes at once, all
   * publishers together; a mutation that would go past it is refused with RATE_LIMITED and a
   * `retryAfterMs` (one alone is always taken). It keeps publishers that together outrun the instance
   * from queueing in front of Redis until everything times out (`limits/publishes-in-flight.ts`). @default 10000
   */
  publishMaxInFlight: number;
}

/** The event bus: which one, how much history it keeps, how long Redis may take. */
export interface BusConfig {
  /**
   * `REDIS_URL`: use Redis as the event bus. `redis://` or `rediss://` for one server,
   * `redis+sentinel://host:port[,host:port…]/<master name>` to follow the master that Redis Sentinel
   * names, `redis+cluster://host:port[,host:port…]` for a Redis Cluster (see
   * `bus/redis-connection.ts`). Unset: in-memory bus.
   */
  redisUrl: string | undefined;
  /**
   * `HISTORY_MAX_LEN`: events kept per topic key (per symbol, strategy, backtest): how far back a
   * cursor can resume. @default 1000
   */
  historyMaxLen: number;
  /**
   * How long any Redis call may take (`REDIS_COMMAND_TIMEOUT_MS`, @default 2000), a connection attempt
   * (`REDIS_CONNECT_TIMEOUT_MS`, @default 3000) and the longest pause between reconnect attempts,
   * also the `retryAfterMs` clients are told while Redis is unavailable (`REDIS_RETRY_MAX_DELAY_MS`,
   * @default 1000).
   */
  timeouts: RedisTimeouts;
}

/**
 * The Redis ingest stream consumer (`publish/redis-ingest.ts`): how much it takes at a time, when it
 * holds back, and how long the stream may grow.
 */
export interface IngestConfig {
  /**
   * `INGEST_BATCH`: entries read from `titan:ingest` at a time (`XREADGROUP … COUNT`), validated,
   * published with one bus batch and acknowledged with one `XACK`. Larger: fewer round trips per
   * entry; smaller: less held in memory and less latency added per batch. @default 500
   */
  batch: number;
  /**
   * `INGEST_MAX_EVENT_LOOP_LAG_MS`: backpressure. When the event loop was held up longer than this
   * during a batch while busy at least 90% of the time (the instance is behind delivering what it
   * already published), the consumer halves its next read (down to 10 entries) and pauses that long
   * (≤ 1 s) before it; it grows back by half a step per batch once under. The backlog waits in the
   * stream. A loop held up while mostly idle (a machine short of CPU) does not slow it. Lower: other
   * work of the instance (requests, new subscriptions) waits less behind the ingest, the ingest drains
   * slower at full load (measured: 40 ms → about 35% less than with none, 100 ms → about 13% less). @default 100
   */
  maxEventLoopLagMs: number;
  /**
   * `INGEST_MAX_LEN`: the most entries `titan:ingest` keeps. About once a second the consumer trims
   * the entries every instance has acknowledged (`XTRIM MINID`) and, when publishers outrun the
   * instances for long, the oldest entries beyond this many, read or not (`XTRIM MAXLEN ~`, which
   * trims whole stream nodes: about this many are kept; a warn line `ingest backlog over
   * INGEST_MAX_LEN` gives how many were dropped). 0: never trimmed by the server (publishers' own
   * `XADD MAXLEN` then bounds it). The stream belongs to TITAN's group: another consumer group
   * reading it would lose what TITAN acknowledged. @default 1000000
   */
  maxLen: number;
}

/** The simulated market. */
export interface FeedConfig {
  /** `DEMO_FEED`: run the simulated market feed and the signal engine in this process. @default true */
  enabled: boolean;
  /** `FEED_SYMBOLS`: comma-separated symbols of the demo feed. @default BTC-USD,ETH-USD,SOL-USD,AAPL,MSFT */
  symbols: string[];
  /** `FEED_TICKS_PER_SECOND`: ticks per second per symbol, 0.1 to 1000. @default 4 */
  ticksPerSecond: number;
}

/** Backtest runs of this process (`BacktestRunner`). */
export interface BacktestsConfig {
  /** `BACKTEST_BARS_PER_SECOND`: pace of a backtest run (0 = as fast as the CPU allows). @default 25000 */
  barsPerSecond: number;
  /** `BACKTEST_CONCURRENCY`: backtests running at once in this process; more wait as QUEUED. @default 2 */
  concurrency: number;
}

/** Streaming analytics (`src/analytics/`): candles and strategy figures derived from the bus by each instance. */
export interface AnalyticsConfig {
  /**
   * `ANALYTICS`: aggregate candles and strategy figures in this instance. Off: nothing is aggregated and
   * `candles`, `candleHistory` and `strategyStats` answer FEATURE_DISABLED. @default true
   */
  enabled: boolean;
  /**
   * `CANDLE_HISTORY_BARS`: closed bars kept per symbol and interval (64 bytes each; 500 symbols × 4
   * intervals × 200 bars ≈ 26 MB), the most `candleHistory(last:)` returns, and how far back
   * `candles(after:)` can resume. @default 200
   */
  candleHistoryBars: number;
  /** `ANALYTICS_STATS_THROTTLE_MS`: least time between two `strategyStats` updates of a strategy on price moves (signals update at once). @default 500 */
  statsThrottleMs: number;
  /** `ANALYTICS_KEYS_REFRESH_MS`: how often the symbols and strategies with events are re-read to follow new ones. @default 2000 */
  keysRefreshMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and checks every knob; throws one `ConfigError` listing all bad values. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const production = env.NODE_ENV === 'production';

  const secret = env.JWT_SECRET || undefined;
  if (secret !== undefined && secret.length < 32) {
    problems.push(`JWT_SECRET must be at least 32 characters (got ${secret.length})`);
  }
  const publicKey = env.JWT_PUBLIC_KEY || undefined;
  const jwksUrl = env.JWKS_URL || undefined;
  if (jwksUrl !== undefined) {
    const problem = jwksUrlProblem(jwksUrl);
    if (problem) problems.push(`JWKS_URL ${problem} (got "${jwksUrl.replace(/[?#].*$/s, '').replace(/\/\/[^/@]*@/, '//***@').slice(0, 200)}")`);
    if (publicKey) problems.push('JWKS_URL and JWT_PUBLIC_KEY cannot be used together: publish the key in the JWKS, or keep one of them');
  }
  if (production && !secret && !publicKey && !jwksUrl) {
    problems.push('JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL is required when NODE_ENV=production');
  }
  const allowedOrigins = read.list('ALLOWED_ORIGINS', []);
  for (const origin of allowedOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(`ALLOWED_ORIGINS has "${origin}": use scheme://host[:port] without a path, or *`);
    }
  }

  const trustedProxyList = read.list('TRUSTED_PROXIES', []);
  try {
    proxyList(trustedProxyList);
  } catch (error) {
    problems.push(`TRUSTED_PROXIES has ${(error as Error).message}`);
  }

  const metricsToken = env.METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && !/^[\x21-\x7e]{16,}$/.test(metricsToken)) {
    problems.push(`METRICS_TOKEN must be at least 16 printable characters without spaces (got ${metricsToken.length} characters)`);
  }

  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl !== undefined) {
    const problem = redisUrlProblem(redisUrl);
    if (problem) problems.push(`REDIS_URL ${problem} (got "${redactUrl(redisUrl)}")`);
  }

  const feedSymbols = read.list('FEED_SYMBOLS', [...DEFAULT_SYMBOLS]);
  if (feedSymbols.length === 0) problems.push('FEED_SYMBOLS must name at least one symbol');
  for (const symbol of feedSymbols) {
    if (!SYMBOL_PATTERN.test(symbol)) problems.push(`FEED_SYMBOLS has a malformed symbol "${symbol}"`);
  }

  const config: Config = {
    server: {
      port: read.integer('PORT', 4000, 0, 65535),
      host: env.HOST || '0.0.0.0',
      production,
      introspection: read.boolean('INTROSPECTION', !production),
      graphiql: read.boolean('GRAPHIQL', !production),
      shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    auth: {
      secret: secret ?? (publicKey || jwksUrl ? undefined : randomSecret()),
      publicKey,
      jwksUrl,
      jwksTimeoutMs: read.integer('JWKS_TIMEOUT_MS', 5000, 100, 60_000),
      jwksCooldownMs: read.integer('JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000),
      jwksCacheMaxAgeMs: read.integer('JWKS_CACHE_MAX_AGE_MS', 600_000, 1000, 86_400_000),
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
      clockSkewSeconds: read.integer('JWT_CLOCK_SKEW_S', 30, 0, 3600),
      devTokens: !secret && !publicKey && !jwksUrl && !production,
    },
    http: {
      allowedOrigins,
      trustedProxies: trustedProxyList,
      maxBodyBytes: read.integer('HTTP_MAX_BODY_BYTES', 262_144, 1024, 100 * 2 ** 20),
      metricsToken,
    },
    ws: {
      keepAliveMs: read.integer('WS_KEEPALIVE_MS', 12_000, 100, 600_000),
      connectionInitTimeoutMs: read.integer('WS_INIT_TIMEOUT_MS', 3000, 100, 60_000),
      maxPayloadBytes: read.integer('WS_MAX_PAYLOAD_BYTES', 65_536, 1024, 100 * 2 ** 20),
      maxBufferedBytes: read.integer('WS_MAX_BUFFERED_BYTES', 262_144, 16_384, 1024 * 2 ** 20),
      writeDelayMs: read.integer('WS_WRITE_DELAY_MS', 0, 0, 1000),
    },
    limits: {
      subscriptionsPerConnection: read.integer('MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, 1, 100_000),
      connectionsPerUser: read.integer('MAX_CONNECTIONS_PER_USER', 20, 1, 100_000),
      connectionLeaseMs: read.integer('CONNECTION_LEASE_MS', 30_000, 300, 3_600_000),
      connectsPerMinute: read.integer('WS_CONNECTS_PER_MINUTE', 120, 1, 1_000_000),
      symbolsPerSubscription: read.integer('MAX_SYMBOLS_PER_SUBSCRIPTION', 50, 1, 10_000),
      subscriptionQueueLimit: read.integer('SUBSCRIPTION_QUEUE_LIMIT', 500, 10, 1_000_000),
      priceReplayMax: read.integer('PRICE_REPLAY_MAX', 500, 0, 10_000),
      maxQueryDepth: read.integer('MAX_QUERY_DEPTH', 10, 2, 100),
      maxQueryAliases: read.integer('MAX_QUERY_ALIASES', 30, 0, 10_000),
      maxQueryFields: read.integer('MAX_QUERY_FIELDS', 1000, 10, 1_000_000),
      maxQueryTokens: read.integer('MAX_QUERY_TOKENS', 5000, 100, 1_000_000),
      mutationsPerSecond: read.number('MUTATIONS_PER_SECOND', 10, 0.01, 1_000_000),
      publishesPerSecond: read.number('PUBLISHES_PER_SECOND', 1000, 0.01, 1_000_000),
      publishBatchMax: read.integer('PUBLISH_BATCH_MAX', 1000, 1, 100_000),
      publishMaxInFlight: read.integer('PUBLISH_MAX_IN_FLIGHT', 10_000, 1, 10_000_000),
    },
    bus: {
      redisUrl,
      historyMaxLen: read.integer('HISTORY_MAX_LEN', 1000, 1, 10_000_000),
      timeouts: {
        commandTimeoutMs: read.integer('REDIS_COMMAND_TIMEOUT_MS', 2000, 50, 60_000),
        connectTimeoutMs: read.integer('REDIS_CONNECT_TIMEOUT_MS', 3000, 50, 60_000),
        retryMaxDelayMs: read.integer('REDIS_RETRY_MAX_DELAY_MS', 1000, 50, 60_000),
      },
    },
    ingest: {
      batch: read.integer('INGEST_BATCH', 500, 1, 10_000),
      maxEventLoopLagMs: read.integer('INGEST_MAX_EVENT_LOOP_LAG_MS', 100, 1, 60_000),
      maxLen: read.integer('INGEST_MAX_LEN', 1_000_000, 0, 1_000_000_000),
    },
    feed: {
      enabled: read.boolean('DEMO_FEED', true),
      symbols: feedSymbols,
      ticksPerSecond: read.number('FEED_TICKS_PER_SECOND', 4, 0.1, 1000),
    },
    backtests: {
      barsPerSecond: read.number('BACKTEST_BARS_PER_SECOND', 25000, 0, 1e9),
      concurrency: read.integer('BACKTEST_CONCURRENCY', 2, 1, 64),
    },
    analytics: {
      enabled: read.boolean('ANALYTICS', true),
      candleHistoryBars: read.integer('CANDLE_HISTORY_BARS', 200, 100, 100_000),
      statsThrottleMs: read.integer('ANALYTICS_STATS_THROTTLE_MS', 500, 50, 60_000),
      keysRefreshMs: read.integer('ANALYTICS_KEYS_REFRESH_MS', 2000, 100, 600_000),
    },
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: read.oneOf('LOG_FORMAT', LOG_FORMATS, !production && process.stdout.isTTY ? 'pretty' : 'json'),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * For the entry points: the configuration, or its problems printed as plain text (a person reads
 * them at start-up, one a line) and the process ended. `require` adds checks of that process's own.
 */
export function loadConfigOrExit(require: (config: Config) => string[] = () => []): Config {
  try {
    const config = loadConfig();
    const problems = require(config);
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

/** What is wrong with a `REDIS_URL`, or undefined when it is usable. */
function redisUrlProblem(url: string): string | undefined {
  if (/\s/.test(url)) return 'must not contain spaces';
  try {
    if (parseSentinelUrl(url) || parseClusterUrl(url)) return undefined;
  } catch (error) {
    if (error instanceof RedisUrlError) return `is malformed: ${error.message}`;
    throw error;
  }
  return /^rediss?:\/\/.+$/.test(url) ? undefined : 'must start with redis://, rediss://, redis+sentinel:// or redis+cluster://';
}

/** What is wrong with a `JWKS_URL`, or undefined when it is usable. */
function jwksUrlProblem(url: string): string | undefined {
  if (/\s/.test(url)) return 'must not contain spaces';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL: use https://host/path/jwks.json';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must start with https:// or http://';
  if (parsed.username || parsed.password) return 'must not carry credentials';
  return undefined;
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  number(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.number(name, fallback, min, max);
    if (!Number.isInteger(value)) {
      this.problems.push(`${name} must be a whole number (got "${this.env[name]}")`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name]?.toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be one of 1/0, true/false, yes/no, on/off (got "${this.env[name]}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  }

  list(name: string, fallback: string[]): string[] {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
}

/**
 * The proxies whose `X-Forwarded-For` is believed: addresses (`10.0.0.7`, `::1`) and subnets in CIDR
 * form (`172.28.0.0/16`), as `TRUSTED_PROXIES` lists them. Throws a message naming the entry that is
 * neither.
 */
export function proxyList(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))) {
      throw new Error(`"${entry}" is not an IP address or a CIDR subnet`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}
