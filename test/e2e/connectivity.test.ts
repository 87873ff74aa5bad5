import { mkdirSync } from 'node:fs';
import { unpack } from 'msgpackr';
import type { Browser, BrowserContext, CDPSession, Page, WebSocket as BrowserWebSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTitanClient, type TitanClient } from '../../packages/client/src/node.js';
import { launchBrowser } from '../support/browser.js';
import { startServer, tokenFor, type InProcessServer } from '../support/start-server.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

/**
 * Mobile and intermittent connectivity in a real browser (Debian Chromium through playwright-core)
 * against a real server: the network switched off and throttled through the DevTools protocol
 * (`Network.emulateNetworkConditions`), a page hidden and shown again, a native `EventSource` whose
 * connection is cut by a TCP proxy. The dashboard gets its token from the tab's storage, as one a
 * user entered.
 */
const ARTIFACTS = 'test-artifacts';
const SYMBOLS = ['AAPL', 'BTC-USD', 'ETH-USD', 'MSFT', 'SOL-USD'];
let server: InProcessServer;
let browser: Browser;
let publisher: TitanClient;
let traderToken: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  publisher = createTitanClient({ url: server.graphqlUrl, token: await tokenFor('e2e-publisher', ['publisher']) });
  traderToken = await tokenFor('e2e-trader', ['trader'], '2h');
  // Every symbol has a price before a board opens: the board follows the symbols of its snapshot.
  await publishPrices(100);
});

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  await browser?.close();
  publisher?.close();
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function publishPrices(price: number) {
  return publisher.publishPrices(SYMBOLS.map((symbol) => ({ symbol, price })));
}

function publishSignal(reason: string) {
  return publisher.publishSignal({ strategyId: 'ma-crossover', symbol: 'BTC-USD', side: 'BUY', price: 65_000, confidence: 0.7, reason });
}

/** A frame the page received: when, its size, and the graphql-ws message it carries. */
interface ReceivedFrame {
  at: number;
  bytes: number;
  message: { type?: string; payload?: { data?: { price?: { symbol: string; price: number } } } };
}

interface OpenDashboard {
  page: Page;
  cdp: CDPSession;
  /** Every WebSocket the page opened, in order. */
  sockets: BrowserWebSocket[];
  frames: ReceivedFrame[];
}

async function openDashboard(viewport: { width: number; height: number }): Promise<OpenDashboard> {
  const phone = viewport.width < 700;
  const context = await browser.newContext({ viewport, isMobile: phone, hasTouch: phone });
  contexts.push(context);
  await context.addInitScript((token) => sessionStorage.setItem('titan.token', token), traderToken);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  const sockets: BrowserWebSocket[] = [];
  const frames: ReceivedFrame[] = [];
  page.on('websocket', (socket) => {
    sockets.push(socket);
    socket.on('framereceived', ({ payload }) => {
      // The dashboard speaks graphql-transport-ws+msgpack: binary frames, one message each.
      const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      const message = typeof payload === 'string' ? JSON.parse(payload) : unpack(payload);
      frames.push({ at: Date.now(), bytes, message });
    });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await page.goto(`${server.url}/`);
  await expect.poll(() => badge(page), { timeout: 15_000 }).toMatch(/connected/i);
  return { page, cdp, sockets, frames };
}

/** The connection badge's text (the page's first status region). */
const badge = (page: Page) => page.getByRole('status').first().textContent();

/** The reasons of the signals shown that start with `prefix`, as the feed lists them (newest first). */
async function shownReasons(page: Page, prefix: string): Promise<string[]> {
  const reasons = await page.locator('[data-testid="signal-row"] td.reason').allTextContents();
  return reasons.filter((reason) => reason.startsWith(prefix));
}

/** Chromium's network emulation: a lost network (`offline`), or a throttled one. */
function emulateNetwork(cdp: CDPSession, conditions: { offline?: boolean; latency?: number; downloadThroughput?: number; uploadThroughput?: number }) {
  return cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1, ...conditions });
}

describe('the dashboard on an intermittent network', () => {
  it('offline for 20 s while signals are published, then online: every signal shown once, in order', async () => {
    const { page, cdp } = await openDashboard({ width: 1280, height: 900 });
    await publishSignal('offline-test before');
    await expect.poll(() => shownReasons(page, 'offline-test'), { timeout: 10_000 }).toEqual(['offline-test before']);

    await emulateNetwork(cdp, { offline: true });
    // The badge says so at once (the browser's `offline` event), not when a watchdog finds out.
    await expect.poll(() => badge(page), { timeout: 1_000 }).toMatch(/offline/i);
    const published: string[] = [];
    for (let n = 1; n <= 10; n++) {
      published.push(`offline-test #${n}`);
      await publishSignal(published.at(-1)!);
      await sleep(2_000);
    }
    expect(await shownReasons(page, 'offline-test')).toEqual(['offline-test before']); // nothing came through

    await emulateNetwork(cdp, { offline: false });
    const back = Date.now();
    // Newest first: each signal once, in the order published. Within a few seconds: the `online`
    // event retries at once, where the backoff after 20 s of failures could wait up to 20 s.
    const expected = [...published].reverse().concat('offline-test before');
    await expect.poll(() => shownReasons(page, 'offline-test'), { timeout: 5_000 }).toEqual(expected);
    await expect.poll(() => badge(page), { timeout: 2_000 }).toMatch(/connected/i);
    console.info(`offline 20 s: the ten signals were shown ${Date.now() - back} ms after the network came back`);

    await publishSignal('offline-test after');
    await expect.poll(() => shownReasons(page, 'offline-test'), { timeout: 5_000 }).toEqual(['offline-test after', ...expected]);
  });

  it('a hidden page closes its connection after the grace period and, shown again, resumes without a gap in one new connection', async () => {
    const { page, sockets } = await openDashboard({ width: 1280, height: 900 });
    await publishSignal('hidden-test before');
    await expect.poll(() => shownReasons(page, 'hidden-test'), { timeout: 10_000 }).toEqual(['hidden-test before']);
    const first = sockets.at(-1)!;

    // Headless Chromium keeps every tab visible (a second tab in front does not hide this one), so
    // the page is told it is hidden as a browser tells it: `visibilityState` and `visibilitychange`.
    await page.evaluate(() => {
      let hidden = false;
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
      Object.assign(window, {
        setPageHidden(value: boolean) {
          hidden = value;
          document.dispatchEvent(new Event('visibilitychange'));
        },
      });
    });
    const setHidden = (hidden: boolean) => page.evaluate((value) => (window as unknown as { setPageHidden(value: boolean): void }).setPageHidden(value), hidden);

    await setHidden(true);
    await sleep(8_000);
    expect(first.isClosed()).toBe(false); // within the grace period (10 s by default)
    await expect.poll(() => badge(page), { timeout: 5_000 }).toMatch(/paused/i);
    await expect.poll(() => first.isClosed(), { timeout: 2_000 }).toBe(true);

    const published = ['hidden-test #1', 'hidden-test #2', 'hidden-test #3'];
    for (const reason of published) await publishSignal(reason);
    await publishPrices(222.22);
    const socketsWhileHidden = sockets.length;
    await sleep(500);
    expect(sockets.length).toBe(socketsWhileHidden); // nothing reconnects while hidden

    await setHidden(false);
    await expect.poll(() => shownReasons(page, 'hidden-test'), { timeout: 5_000 }).toEqual([...published].reverse().concat('hidden-test before'));
    await expect.poll(() => page.getByRole('row', { name: /AAPL/ }).locator('td.last').textContent(), { timeout: 5_000 }).toContain('222.22');
    await expect.poll(() => badge(page), { timeout: 2_000 }).toMatch(/connected/i);
    expect(sockets.length).toBe(socketsWhileHidden + 1); // every subscription on one new connection
  });

  it('with maxRate 1 on a slow network, a phone gets about one update per second per symbol, always ending on the latest price, for a fraction of the bytes', async () => {
    const phone = await openDashboard({ width: 390, height: 844 }); // phone-sized: maxRate 1
    const desktop = await openDashboard({ width: 1280, height: 900 }); // every tick
    // A slow mobile network ("Slow 3G"-like): 400 ms latency, 50 KB/s each way. (Chromium adds the
    // latency to requests, the snapshot's included, and throttles WebSocket frames to the throughput,
    // but does not delay each frame by the latency.)
    await emulateNetwork(phone.cdp, { latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 });
    for (const { page } of [phone, desktop]) await page.getByRole('row', { name: /SOL-USD/ }).waitFor({ timeout: 10_000 });
    await sleep(1_500); // past the cap's window of the snapshot's ticks

    // Four ticks a second per symbol (the demo feed's default rate) for 10 s.
    const start = Date.now();
    let price = 300;
    let published = 0;
    while (published < 40) {
      price += 0.01;
      await publishPrices(Number(price.toFixed(2)));
      published += 1;
      await sleep(start + published * 250 - Date.now()); // on the clock: 4 a second, however long a publish takes
    }
    const end = Date.now();
    const last = price.toFixed(2);
    await sleep(2_000); // the cap's last window, plus the network's latency

    const updates = (frames: ReceivedFrame[], from: number, to: number) => {
      const bySymbol = new Map<string, number>();
      for (const frame of frames) {
        const tick = frame.message.type === 'next' ? frame.message.payload?.data?.price : undefined;
        if (tick && frame.at >= from && frame.at <= to) bySymbol.set(tick.symbol, (bySymbol.get(tick.symbol) ?? 0) + 1);
      }
      return bySymbol;
    };
    const capped = updates(phone.frames, start, end + 2_000);
    const uncapped = updates(desktop.frames, start, end + 2_000);
    console.info('updates per symbol in 10 s at 4 ticks/s:', JSON.stringify({ maxRate1: Object.fromEntries(capped), everyTick: Object.fromEntries(uncapped) }));
    const seconds = (end + 2_000 - start) / 1_000;
    for (const symbol of SYMBOLS) {
      // About one a second (and the trailing latest one), where the uncapped screen got every tick.
      expect(capped.get(symbol), symbol).toBeGreaterThanOrEqual(Math.floor(seconds) - 3);
      expect(capped.get(symbol), symbol).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
      expect(uncapped.get(symbol), symbol).toBe(published);
      // A capped reader never keeps a stale price: the board ends on the last one published.
      await expect.poll(() => phone.page.getByRole('row', { name: new RegExp(symbol) }).locator('td.last').textContent(), { timeout: 3_000 }).toContain(last);
    }

    const bytes = (frames: ReceivedFrame[]) => frames.filter((frame) => frame.at >= start && frame.at <= end).reduce((sum, frame) => sum + frame.bytes, 0);
    const perMinute = (total: number) => Math.round((total * 60_000) / (end - start));
    const [cappedBytes, uncappedBytes] = [perMinute(bytes(phone.frames)), perMinute(bytes(desktop.frames))];
    console.info(`bytes per minute received for five symbols at 4 ticks/s: maxRate 1 ${cappedBytes}, every tick ${uncappedBytes}`);
    expect(cappedBytes).toBeLessThan(uncappedBytes * 0.4);
    await phone.page.screenshot({ path: `${ARTIFACTS}/dashboard-phone-slow-network.png` });
  });
});

describe('a native EventSource', () => {
  it('whose connection is cut while signals are published receives every one of them once after it reconnects', async () => {
    const proxy = await startTcpProxy(Number(new URL(server.url).port));
    try {
      // EventSource cannot set headers: a plain page gives it the token as `access_token`.
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      // The headers as sent (allHeaders: Last-Event-ID is added below the page, by the network stack).
      const lastEventIds: Promise<string | undefined>[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/graphql?')) lastEventIds.push(request.allHeaders().then((headers) => headers['last-event-id']));
      });
      await page.goto(`${proxy.url}/healthz`);
      await page.evaluate(([query, token]) => {
        const received: { reason: string; cursor: string; id: string }[] = [];
        const source = new EventSource(`/graphql?query=${encodeURIComponent(query)}&access_token=${encodeURIComponent(token)}`);
        source.addEventListener('next', (event) => {
          const { signal } = JSON.parse(event.data).data;
          received.push({ reason: signal.reason, cursor: signal.cursor, id: event.lastEventId });
        });
        Object.assign(window, { received, source });
      }, ['subscription { signal(symbols: ["ES-TEST"]) { reason cursor } }', traderToken] as const);
      const received = () => page.evaluate(() => (window as unknown as { received: { reason: string; cursor: string; id: string }[] }).received);
      const publish = (reason: string) =>
        publisher.publishSignal({ strategyId: 'ma-crossover', symbol: 'ES-TEST', side: 'SELL', price: 10, confidence: 0.5, reason });

      await expect.poll(() => lastEventIds.length, { timeout: 5_000 }).toBe(1);
      await sleep(300); // the stream is open (its first comment sent at once)
      for (const n of [1, 2]) await publish(`es #${n}`);
      await expect.poll(async () => (await received()).length, { timeout: 5_000 }).toBe(2);

      proxy.cut(); // the connection drops; the EventSource retries (and is refused) meanwhile
      for (const n of [3, 4, 5, 6, 7]) await publish(`es #${n}`);
      await sleep(1_000);
      proxy.restore();

      await expect.poll(async () => (await received()).length, { timeout: 15_000 }).toBe(7);
      await publish('es #8');
      await expect.poll(async () => (await received()).length, { timeout: 5_000 }).toBe(8);
      await sleep(300);
      const events = await received();
      expect(events.map((event) => event.reason)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `es #${n}`));
      for (const event of events) expect(event.id).toBe(event.cursor); // each event's id: is its cursor
      // It came back by itself, with the header: the cursor of the last event it had.
      const sent = await Promise.all(lastEventIds);
      expect(sent[0]).toBeUndefined();
      expect(sent.length).toBeGreaterThan(1);
      expect(sent.at(-1)).toBe(events[1]!.cursor);
    } finally {
      await proxy.close();
    }
  });
});
