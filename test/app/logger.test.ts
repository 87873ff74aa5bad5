import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

/** A logger writing into a string, to read exactly what would reach stdout. */
function capture() {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger('info', destination), output: () => text };
}

describe('log redaction', () => {
  it('keeps secrets out of lines that carry them by mistake', () => {
    const { logger, output } = capture();
    const authError = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'auth', args: ['titan', 'redis-password-1'] },
    });
    logger.error({ err: authError }, 'background error');
    logger.info({ connectionParams: { authorization: 'Bearer jwt-in-params' } }, 'connection');
    logger.info({ request: { headers: { authorization: 'Bearer jwt-in-header', cookie: 'session=cookie-1' } } }, 'request');
    logger.info({ auth: { secret: 'jwt-secret-1' }, http: { metricsToken: 'metrics-token-1' }, bus: { redisUrl: 'redis://u:url-password-1@h' } }, 'config');
    const text = output();
    for (const secret of ['redis-password-1', 'jwt-in-params', 'jwt-in-header', 'cookie-1', 'jwt-secret-1', 'metrics-token-1', 'url-password-1']) {
      expect(text).not.toContain(secret);
    }
    expect(text.split('\n').filter(Boolean)).toHaveLength(4);
    expect(text).toContain('WRONGPASS');
  });
});
