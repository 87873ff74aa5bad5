import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchChild } from '../support/process-guard.js';
import { execute } from '../support/protocol-client.js';
import { stopChild } from '../support/redis.js';
import { startProcess, tokenFor, type ServerProcess } from '../support/start-server.js';
import { until } from '../support/until.js';

/** `npm start` and the image run the server compiled by `npm run build:server` (dist/), not TypeScript through tsx. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

let server: ServerProcess;

beforeAll(async () => {
  await promisify(execFile)('npm', ['run', '-s', 'build:server'], { cwd: ROOT });
  server = await startProcess('main.ts', { BACKTEST_BARS_PER_SECOND: '0' }, { compiled: true });
}, 60_000);

afterAll(() => server?.stop());

describe('the compiled server (npm start)', () => {
  it('imports only Node built-ins, its own files and production dependencies (the image installs no others)', () => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // Loaded on demand and optional: LOG_FORMAT=pretty falls back to JSON without it (logger.ts).
    const optional = new Set(['pino-pretty']);
    const files = filesUnder(DIST);
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
    const imported = new Set<string>();
    for (const file of files) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:\bfrom|\bimport\(?)\s*['"]([@.\w][\w@/.:-]*)['"]/g)) {
        if (specifier!.startsWith('.') || specifier!.startsWith('node:')) continue;
        imported.add(specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => !(name in dependencies) && !optional.has(name))).toEqual([]);
  });

  it("imports GraphiQL's page (its whole browser bundle) only when GraphiQL is served", () => {
    const staticImports = filesUnder(DIST).filter((file) => /\bfrom\s*['"]@graphql-yoga\/render-graphiql['"]/.test(readFileSync(file, 'utf8')));
    expect(staticImports).toEqual([]);
    const handler = readFileSync(join(DIST, 'transport', 'graphql-handler.js'), 'utf8');
    expect(handler).toMatch(/import\(['"]@graphql-yoga\/render-graphiql['"]\)/);
  });

  it('serves GraphQL and runs a backtest to COMPLETED in its compiled worker thread', async () => {
    const token = await tokenFor('compiled-user', ['trader']);
    const started = await execute<{ startBacktest: { id: string } }>(
      server.graphqlUrl,
      'mutation { startBacktest(input: { strategyId: "ma-crossover", symbol: "BTC-USD", bars: 500 }) { id } }',
      {},
      token,
    );
    expect(started.errors).toBeUndefined();
    const id = started.data!.startBacktest.id;
    const status = async () =>
      (await execute<{ backtest: { status: string; message: string | null } }>(server.graphqlUrl, 'query ($id: ID!) { backtest(id: $id) { status message } }', { id }, token)).data
        ?.backtest;
    const deadline = Date.now() + 20_000;
    let last = await status();
    while (!['COMPLETED', 'FAILED', 'CANCELLED'].includes(last?.status ?? '') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      last = await status();
    }
    expect(last).toEqual({ status: 'COMPLETED', message: null });
  });
});

describe('logs a person can read (LOG_FORMAT=pretty)', () => {
  it('prints one readable line per entry and each development token on its own line with its role', async () => {
    // Development without JWT_SECRET: the server makes a secret and logs ready-made tokens.
    const env: Record<string, string | undefined> = { ...process.env, HOST: '127.0.0.1', PORT: '0', DEMO_FEED: '0', LOG_FORMAT: 'pretty', NODE_ENV: 'development' };
    delete env.JWT_SECRET;
    const child = spawn(process.execPath, ['dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ending = watchChild('pretty server', child, () => output);
    try {
      await until(() => output.includes('GraphiQL:'), 'the server to start', 20_000);
      const lines = output.trim().split('\n');
      expect(lines.filter((line) => line.trimStart().startsWith('{'))).toEqual([]);
      expect(output).toMatch(/INFO.*TITAN Realtime listening/);
      for (const role of ['trader', 'publisher', 'admin']) {
        expect(lines.filter((line) => new RegExp(`INFO.*: ${role} +eyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+$`).test(line)), role).toHaveLength(1);
      }
    } finally {
      ending();
      await stopChild(child);
    }
  });
});
