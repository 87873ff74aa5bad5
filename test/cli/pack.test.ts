import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { ensureBuilt } from './titan-process.js';

/**
 * The published shape outside this repo: `npm pack` of the workspace, a throwaway project that
 * installs the tarball (its dependencies from the registry, or npm's cache), type-checks a consumer
 * against its declarations, imports it under Node and runs its `titan` bin.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const temp = mkdtempSync(join(tmpdir(), 'titan-pack-'));

afterAll(() => rmSync(temp, { recursive: true, force: true }));

const CONSUMER = `
import {
  createTitanClient,
  fileCursorStore,
  TitanError,
  type CursorStore,
  type PriceTick,
  type Signal,
  type TitanClient,
} from '@titan-realtime/client';

const cursorStore: CursorStore = fileCursorStore('./cursors.json');
const titan: TitanClient = createTitanClient({
  url: 'ws://localhost:4000/graphql',
  token: async () => 'a-jwt',
  encoding: 'msgpack',
  transport: 'auto',
  cursorStore,
});

export async function firstSignal(): Promise<Signal | undefined> {
  for await (const signal of titan.signals({ strategyIds: ['ma-crossover'] })) return signal;
  return undefined;
}

export const prices = titan.prices({ symbols: ['BTC-USD'] }, (tick: PriceTick) => console.log(tick.symbol, tick.price, tick.cursor));

export const stopWatching: () => void = titan.on('state', ({ newState }) => console.log(newState));

export async function publish(): Promise<string | null | undefined> {
  try {
    return (await titan.publishPrice({ symbol: 'BTC-USD', price: 1 })).cursor;
  } catch (error) {
    if (error instanceof TitanError && error.code === 'RATE_LIMITED') return String(error.retryAfterMs);
    throw error;
  }
}
`;

/** A Node service's: no DOM, Node's types (the repo's @types/node, rather than downloading it). */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    strict: true,
    noEmit: true,
  },
  files: ['consumer.ts'],
};

/** Runs a command in `cwd`; fails the test with its output unless it exits 0. */
function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  expect(result.status, `${command} ${args.join(' ')}:\n${result.stdout}${result.stderr}`).toBe(0);
  return result.stdout;
}

it('packs a package that a project outside the repo installs, type-checks against and runs', () => {
  ensureBuilt();
  // Built above: packing without the prepack build keeps two builds from racing.
  run('npm', ['pack', '--silent', '--ignore-scripts', '--workspace', '@titan-realtime/client', '--pack-destination', temp], ROOT);
  const tarball = readdirSync(temp).find((name) => name.endsWith('.tgz'));
  expect(tarball).toBeDefined();

  const project = join(temp, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(project, 'consumer.ts'), CONSUMER);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(temp, tarball ?? '')], project);

  run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project);
  const imported = run(process.execPath, ['-e', "import('@titan-realtime/client').then((m) => console.log(typeof m.createTitanClient, typeof m.fileCursorStore))"], project);
  expect(imported.trim()).toBe('function function');
  expect(run(join(project, 'node_modules/.bin/titan'), ['--help'], project)).toMatch(/^Usage: titan/);
}, 120_000);
