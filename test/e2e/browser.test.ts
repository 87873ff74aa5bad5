import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { startServer, type TestServer } from '../support/start-server.js';

/** GraphiQL in a real browser against the demo server (the dashboard has its own suite in dashboard.test.ts). */
let server: TestServer;
let browser: Browser;
const ARTIFACTS = 'test-artifacts';

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([
    startServer({ JWT_SECRET: '', DEMO_FEED: '1', FEED_TICKS_PER_SECOND: '10' }),
    launchBrowser(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('in a browser', () => {
  it('GraphiQL runs the prefilled BTC subscription with the dev token and streams ticks', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto(server.graphqlUrl);
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.graphiql-response');
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).toMatch(/"symbol":\s*"BTC-USD"/);
    const first = await result.textContent();
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).not.toBe(first);
    await page.screenshot({ path: `${ARTIFACTS}/graphiql-prices.png` });
    await page.close();
  });
});
