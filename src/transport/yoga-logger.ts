import { format } from 'node:util';
import type { LogLevel, YogaLogger } from 'graphql-yoga';
import { isUnavailable } from '../bus/unavailable.js';
import type { Logger } from '../logger.js';

/**
 * Yoga's logger on the app's pino logger: what Yoga reports (an error its masking replaced, request
 * debugging) comes out as the same JSON lines as everything else, with the same redaction and level,
 * rather than as Yoga's coloured console text in the middle of them. Each line has `component: "yoga"`
 * and an error argument as `err`, with its stack; but an outage of Redis is expected, already logged
 * once per connection (`RedisLink`) and answered `UNAVAILABLE`, so it goes to debug without a stack.
 */
export function yogaLogger(logger: Logger): YogaLogger {
  const yoga = logger.child({ component: 'yoga' });
  const forward =
    (level: LogLevel) =>
    (...args: unknown[]): void => {
      // Yoga logs at debug on every request: formatting is skipped when the level is off.
      if (!yoga.isLevelEnabled(level)) return;
      const err = args.find((arg): arg is Error => arg instanceof Error);
      if (err && level !== 'debug' && isUnavailable((err as { originalError?: unknown }).originalError ?? err)) {
        if (yoga.isLevelEnabled('debug')) yoga.debug({ reason: err.message }, 'answered UNAVAILABLE');
        return;
      }
      const rest = args.filter((arg) => arg !== err);
      const message = rest.length > 0 ? format(...rest) : (err?.message ?? '');
      if (err === undefined) yoga[level](message);
      else yoga[level]({ err }, message);
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}
