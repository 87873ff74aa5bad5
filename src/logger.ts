import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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
  'jwtSecret',
  '*.jwtSecret',
  'metricsToken',
  '*.metricsToken',
  'redisUrl',
  '*.redisUrl',
  'err.command.args',
];

/**
 * Structured JSON logs on stdout (or `destination`, for tests). `LOG_LEVEL` picks the level (default
 * `info`). HTTP request lines carry `reqId`, WebSocket lines `connId`.
 */
export function createLogger(level: string | undefined = process.env.LOG_LEVEL, destination?: DestinationStream): Logger {
  const chosen = level && (LEVELS as readonly string[]).includes(level) ? level : 'info';
  const options = { level: chosen, base: { service: 'titan-realtime', pid: process.pid }, redact: REDACT };
  return destination ? pino(options, destination) : pino(options);
}
