import { pino, type Logger } from 'pino';

export type { Logger };

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Structured JSON logs on stdout. `LOG_LEVEL` picks the level (default `info`); tokens and secrets
 * are never passed to the logger, and `authorization` fields are redacted in case one slips through.
 */
export function createLogger(level: string | undefined = process.env.LOG_LEVEL): Logger {
  const chosen = level && (LEVELS as readonly string[]).includes(level) ? level : 'info';
  return pino({
    level: chosen,
    base: { service: 'titan-realtime', pid: process.pid },
    redact: ['authorization', '*.authorization', 'token', '*.token', 'jwtSecret'],
  });
}
