import { pino, type DestinationStream, type Logger } from 'pino';
import { isUnavailable } from './bus/unavailable.js';

export type { Logger };

/** The levels `LOG_LEVEL` may name, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The formats `LOG_FORMAT` may name: JSON lines (production, log shippers) or lines a person reads. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Fields that could carry a secret. Tokens and secrets are never passed to the logger on purpose;
 * these are redacted in case one slips through (e.g. a logged error that carries its request, or
 * an ioredis error whose failed command is AUTH with the password as argument).
 */
const REDACT = [
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  'token',
  '*.token',
  'connectionParams',
  '*.connectionParams',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'metricsToken',
  '*.metricsToken',
  'redisUrl',
  '*.redisUrl',
  'err.command.args',
];

/**
 * Structured JSON logs on stdout (or `destination`, for tests) at `level` (`LOG_LEVEL`, read and
 * checked by `config.ts`). HTTP request lines carry `reqId`, WebSocket lines `connId`.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'titan-realtime', pid: process.pid }, redact: REDACT };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * The entry points' logger: JSON lines, or in `pretty` format (a terminal in development) one
 * readable line per entry through pino-pretty. pino-pretty is a development dependency, absent from
 * the production image: asked for there, the logger says so and stays on JSON.
 */
export async function openLogger(level: LogLevel, format: LogFormat): Promise<Logger> {
  if (format === 'json') return createLogger(level);
  try {
    const { default: pretty } = await import('pino-pretty');
    // Synchronous: a line is on the terminal before the next one is made, crash or not.
    return createLogger(level, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', singleLine: true }));
  } catch {
    const logger = createLogger(level);
    logger.warn('LOG_FORMAT=pretty needs pino-pretty, a development dependency: logging JSON');
    return logger;
  }
}

/**
 * Where failures with no caller to answer go (a publish of the demo feed, a backtest's progress):
 * an outage of Redis is expected and already reported once per connection by its `RedisLink`, so
 * it is logged at debug without a stack; anything else is a bug worth its stack at error.
 */
export function backgroundErrors(logger: Logger, message = 'background error'): (error: unknown) => void {
  return (error) => {
    if (isUnavailable(error)) logger.debug({ reason: error instanceof Error ? error.message : String(error) }, message);
    else logger.error({ err: error }, message);
  };
}

/**
 * The process's last line of defence, installed by the entry points: a promise rejection nobody
 * handled is a bug, logged loudly (`unhandled rejection`, which the tests watch for) but not a
 * reason to drop every client; an uncaught exception leaves the process in an unknown state, so it
 * is logged and the process exits for its supervisor to restart it.
 */
export function guardProcess(logger: Logger): void {
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
}
