import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient, execute } from '../support/protocol-client.js';
import { startServer, type TestServer } from '../support/start-server.js';

let dev: TestServer;
let configured: TestServer;

beforeAll(async () => {
  [dev, configured] = await Promise.all([startServer({ JWT_SECRET: '' }), startServer()]);
});

afterAll(async () => {
  await Promise.all([dev.stop(), configured.stop()]);
});

describe('development mode (no JWT_SECRET)', () => {
  it('hands the web client a working trader token at /dev/token', async () => {
    const response = await fetch(`${dev.url}/dev/token`);
    expect(response.status).toBe(200);
    const { token } = (await response.json()) as { token: string };
    const { data } = await execute<{ symbols: string[] }>(dev.graphqlUrl, '{ symbols }', {}, token);
    expect(data?.symbols).toContain('BTC-USD');
    const client = await ProtocolClient.connect(dev.wsUrl, token);
    client.close();
  });

  it('serves GraphiQL on a browser GET, with a token so it works without copy-paste', async () => {
    const response = await fetch(dev.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('TITAN Realtime');
    expect(html).toContain('"Authorization":"Bearer ey');
    expect(html).not.toContain('unpkg.com');
  });
});

describe('with JWT_SECRET set', () => {
  it('hands out no dev token', async () => {
    expect((await fetch(`${configured.url}/dev/token`)).status).toBe(404);
  });

  it('serves GraphiQL without any token in the page', async () => {
    const html = await (await fetch(configured.graphqlUrl, { headers: { accept: 'text/html' } })).text();
    expect(html).toContain('TITAN Realtime');
    expect(html).not.toContain('Bearer ey');
  });
});

describe('liveness', () => {
  it('answers /healthz without a token', async () => {
    const response = await fetch(`${configured.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });
});

describe('web client', () => {
  it('serves the built client at / and nothing outside it', async () => {
    const index = await fetch(`${configured.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    const html = await index.text();
    expect(html).toContain('<div id="root">');
    const script = /src="([^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    const asset = await fetch(`${configured.url}${script}`);
    expect(asset.headers.get('content-type')).toContain('javascript');
    for (const path of ['/%2e%2e/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json']) {
      const escape = await (await fetch(`${configured.url}${path}`)).text();
      expect(escape, path).not.toContain('"titan-realtime"');
    }
  });
});
