import { loadConfig, type Config } from '../../src/config.js';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/** What every test server runs with: loopback on any free port, a known secret, no demo feed, backtests at full speed. */
export const TEST_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  JWT_SECRET: TEST_SECRET,
  DEMO_FEED: '0',
  BACKTEST_BARS_PER_SECOND: '0',
  LOG_LEVEL: 'warn',
};

/**
 * The configuration of a test, `env` over `TEST_ENV`: a module built in a test takes its knobs from
 * here, so every knob the test does not set has the default of `config.ts`, never a copy of it.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ ...TEST_ENV, ...env });
}
