import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { watchChild } from '../support/process-guard.js';
import { freePort, stopChild } from '../support/redis.js';
import { until } from '../support/until.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run dev', () => {
  it('runs the API from source and the dashboard on Vite, which proxies /dev and /graphql to it; Ctrl-C stops both', async () => {
    const [apiPort, vitePort] = [await freePort(), await freePort()];
    const env: Record<string, string | undefined> = { ...process.env, HOST: '127.0.0.1', PORT: String(apiPort), DEMO_FEED: '0', NODE_ENV: 'development' };
    delete env.JWT_SECRET;
    const child = spawn('npm', ['run', '-s', 'dev', '--', '--host', '127.0.0.1', '--port', String(vitePort), '--strictPort'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ending = watchChild('npm run dev', child, () => output);
    const vite = `http://127.0.0.1:${vitePort}`;
    try {
      await until(() => output.includes('TITAN Realtime listening') && output.includes(`${vitePort}`), 'the API and Vite to start', 60_000);
      // Vite serves the dashboard's source modules (hot reload), not the built bundle.
      const page = await (await fetch(`${vite}/`)).text();
      expect(page).toContain('/@vite/client');
      const { token } = (await (await fetch(`${vite}/dev/token`)).json()) as { token: string };
      const response = await fetch(`${vite}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    } finally {
      ending();
      // What Ctrl-C in a terminal does: SIGINT to the whole foreground process group.
      process.kill(-child.pid!, 'SIGINT');
      await stopChild(child);
    }
    // Neither the API nor Vite outlives the dev loop.
    const down = (url: string) => fetch(url).then(() => false, () => true);
    let stopped = false;
    const deadline = Date.now() + 10_000;
    while (!stopped && Date.now() < deadline) {
      stopped = (await down(`${vite}/`)) && (await down(`http://127.0.0.1:${apiPort}/healthz`));
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!stopped) process.kill(-child.pid!, 'SIGKILL');
    expect(stopped).toBe(true);
  }, 90_000);
});
