import { execFile, execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  baseImage,
  copyPaths,
  copyTargets,
  inheritedInstructions,
  logicalLines,
  parseDockerIgnore,
  parseDockerfile,
  parseJsonc,
  readRepoFile,
  repoFileExists,
  repoRoot,
  sourceOfEmitted,
  workdirs,
  type Instruction,
  type Stage,
} from './docker-files.js';

/** The Dockerfile and .dockerignore cannot be built here (no Docker engine): check what they say. */
const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const dockerignore = parseDockerIgnore(readRepoFile('.dockerignore'));
const { final } = dockerfile;
const finalInstructions = inheritedInstructions(final);
const of = (keyword: string, instructions: Instruction[] = finalInstructions) => instructions.filter((i) => i.keyword === keyword);
const isNpmInstall = (command: string) => /\bnpm\s+(ci|install|i|add)\b/.test(command);
const installsDevDependencies = (command: string) =>
  isNpmInstall(command) && !/--omit[= ]dev\b|--production\b|--only[= ]prod(uction)?\b/.test(command);

/** The npm scripts a shell command runs: `npm run build` → 'build', `npm run build -w @x/y` → '@x/y build'. */
function npmScripts(command: string): string[] {
  return command.split(/&&|\|\||;/).flatMap((part) => {
    const words = part.trim().split(/\s+/);
    if (words[0] !== 'npm' || !['run', 'run-script'].includes(words[1] ?? '')) return [];
    let script: string | undefined;
    let workspace: string | undefined;
    for (let i = 2; i < words.length; i++) {
      const word = words[i]!;
      if (word === '-w' || word === '--workspace') workspace = words[++i];
      else if (word.startsWith('--workspace=')) workspace = word.slice('--workspace='.length);
      else if (!word.startsWith('-')) script ??= word;
    }
    return script === undefined ? [] : [workspace ? `${workspace} ${script}` : script];
  });
}

describe('the Dockerfile parser', () => {
  it('joins continued lines, drops comments (also inside a continuation) and reads flags and the exec form', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'ARG NODE=node:24.1-bookworm-slim',
      'FROM ${NODE} AS Base',
      'RUN apt-get update \\',
      '  # a comment inside the command',
      '  && apt-get install -y curl',
      '',
      'FROM base',
      'COPY --from=base --chown=node:node /a /b/',
      'CMD ["node", "x.js"]',
    ].join('\n');
    expect(logicalLines(text).map((l) => l.line)).toEqual([2, 3, 4, 8, 9, 10]);
    const parsed = parseDockerfile(text);
    expect(parsed.stages.map((s) => [s.name, s.from])).toEqual([
      ['base', 'node:24.1-bookworm-slim'],
      [undefined, 'base'],
    ]);
    expect(parsed.stages[0]!.instructions[0]!.args).toBe('apt-get update && apt-get install -y curl');
    expect(baseImage(parsed.final)).toBe('node:24.1-bookworm-slim');
    const copy = parsed.final.instructions[0]!;
    expect(copy.flags).toEqual({ from: 'base', chown: 'node:node' });
    expect(copyTargets(copy, '/app')).toEqual(['/b/a']);
    expect(parsed.final.instructions[1]!.exec).toEqual(['node', 'x.js']);
  });

  it('matches .dockerignore patterns like Docker: root-relative, **, directories, the last match wins', () => {
    const ignore = parseDockerIgnore(['test', '**/dist', '*.log', '.env*', '!.env.example', 'docs/**/*.png'].join('\n'));
    expect(ignore.excludes('test/a.test.ts')).toBe(true);
    expect(ignore.excludes('packages/client/test')).toBe(false);
    expect(ignore.excludes('dist/main.js')).toBe(true);
    expect(ignore.excludes('packages/client/dist/index.js')).toBe(true);
    expect(ignore.excludes('src/distance.ts')).toBe(false);
    expect(ignore.excludes('npm.log')).toBe(true);
    expect(ignore.excludes('logs/npm.log')).toBe(false);
    expect(ignore.excludes('.env.local')).toBe(true);
    expect(ignore.excludes('.env.example')).toBe(false);
    expect(ignore.excludes('docs/screenshots/a.png')).toBe(true);
    expect(ignore.excludes('docs/a.png')).toBe(true);
  });

  it('reads the npm scripts a RUN runs', () => {
    expect(npmScripts('npm ci && npm run build -w @x/y && npm run -s build; npm run --workspace=@x/z generate')).toEqual(['@x/y build', 'build', '@x/z generate']);
    expect(npmScripts('npm run -w @x/y build')).toEqual(['@x/y build']);
  });

  it('reads tsconfig files with comments and trailing commas', () => {
    expect(parseJsonc('{\n  // "no": 1,\n  "a": "http://x/*y*/", /* z */ "b": [1,],\n}')).toEqual({ a: 'http://x/*y*/', b: [1] });
  });
});

describe('Dockerfile', () => {
  it('builds in several stages, each named once; every COPY --from names an earlier stage', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    const names = dockerfile.stages.map((s) => s.name);
    expect(new Set(names).size, 'stage names').toBe(names.length);
    for (const stage of dockerfile.stages) {
      for (const copy of of('COPY', stage.instructions).filter((i) => 'from' in i.flags)) {
        const from = copy.flags.from!.toLowerCase();
        const source = dockerfile.stage(from) ?? dockerfile.stages[Number(from)];
        expect(source, `line ${copy.line}: --from=${from}`).toBeDefined();
        expect(source!.index, `line ${copy.line}: --from=${from} comes before`).toBeLessThan(stage.index);
      }
    }
  });

  it('runs on a Node LTS line (even, 22 or later) on a slim Debian base, with a pinned tag', () => {
    for (const stage of dockerfile.stages.filter((s) => !s.parent)) expect(stage.from).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
    const base = baseImage(final);
    const match = /^node:(\d+)(?:\.\d+){0,2}-[a-z]+-slim$/.exec(base);
    expect(match, base).not.toBeNull();
    const major = Number(match![1]);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(major % 2, `Node ${major} is not an LTS line`).toBe(0);
    // Every stage on the same Node: what is built is what runs.
    for (const stage of dockerfile.stages) expect(baseImage(stage)).toBe(base);
  });

  it('ships production dependencies only: no install with dev dependencies in the image or in the stage its node_modules come from', () => {
    for (const run of of('RUN')) expect(installsDevDependencies(run.args), `line ${run.line}: ${run.args}`).toBe(false);
    const installs = of('RUN').filter((run) => isNpmInstall(run.args));
    const copied = of('COPY').filter((copy) => copy.flags.from && copyPaths(copy).sources.some((s) => /(^|\/)node_modules\/?$/.test(s)));
    expect(installs.length + copied.length, 'node_modules in the image').toBeGreaterThan(0);
    for (const copy of copied) {
      const source = dockerfile.stage(copy.flags.from!)!;
      const runs = of('RUN', inheritedInstructions(source));
      expect(runs.some((run) => isNpmInstall(run.args)), `stage ${source.name} installs`).toBe(true);
      for (const run of runs) expect(installsDevDependencies(run.args), `line ${run.line}: ${run.args}`).toBe(false);
    }
  });

  it('has each workspace bin in place when the production install links it (npx titan in the image)', () => {
    const copied = of('COPY').filter((copy) => copy.flags.from && copyPaths(copy).sources.some((s) => /(^|\/)node_modules\/?$/.test(s)));
    expect(copied.length).toBeGreaterThan(0);
    const workspaces = (JSON.parse(readRepoFile('package.json')) as { workspaces: string[] }).workspaces;
    expect(workspaces).toEqual(['packages/*']);
    const bins = readdirSync(new URL('packages/', repoRoot)).flatMap((dir) => {
      const { bin } = JSON.parse(readRepoFile(`packages/${dir}/package.json`)) as { bin?: Record<string, string> };
      return Object.values(bin ?? {}).map((file) => posix.join('packages', dir, file));
    });
    expect(bins.length).toBeGreaterThan(0);
    for (const copy of copied) {
      const stage = dockerfile.stage(copy.flags.from!)!;
      const instructions = inheritedInstructions(stage);
      const dirs = workdirs(stage);
      const install = instructions.findIndex((i) => i.keyword === 'RUN' && isNpmInstall(i.args));
      const before = instructions.slice(0, install).filter((i) => i.keyword === 'COPY' && !i.flags.from);
      const targets = before.flatMap((c) => copyTargets(c, dirs.get(c)!));
      for (const bin of bins) {
        const path = posix.join(dirs.get(instructions[install]!)!, bin);
        expect(targets.some((target) => path === target || path.startsWith(`${target}/`)), `${bin} before line ${instructions[install]!.line}`).toBe(true);
      }
    }
  });

  it('has every workspace runtime dependency in the root node_modules (the only node_modules copied)', () => {
    const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const nested = Object.entries(lock.packages).filter(([path, entry]) => /^packages\/[^/]+\/node_modules\//.test(path) && !entry.dev);
    expect(nested.map(([path]) => path)).toEqual([]);
  });

  it('puts what the server reads at run time where it looks: dist/, client/dist/, schema.graphql, package.json and node_modules side by side', () => {
    const dirs = workdirs(final);
    const workdir = dirs.get(of('CMD').at(-1)!)!;
    const provided = of('COPY').flatMap((copy) => copyTargets(copy, dirs.get(copy)!));
    const needed = ['package.json', 'node_modules', 'dist', 'client/dist', 'schema.graphql', 'packages/client/package.json', 'packages/client/bin', 'packages/client/dist'];
    const providedBy = (path: string) => provided.find((target) => path === target || path.startsWith(`${target}/`));
    for (const path of needed) expect(providedBy(posix.join(workdir, path)), path).toBeDefined();
    // Each compiled output comes from a stage that ran the script building it.
    const builtBy: Record<string, string[]> = {
      dist: ['build', 'build:server'],
      'client/dist': ['build', 'build:client'],
      'packages/client/dist': ['@titan-realtime/client build', 'postinstall'],
    };
    const copied = new Set<string>();
    for (const copy of of('COPY').filter((c) => c.flags.from)) {
      const source = dockerfile.stage(copy.flags.from!)!;
      const instructions = inheritedInstructions(source);
      const sourceWorkdir = workdirs(source).get(instructions.at(-1)!) ?? '/';
      const scripts = of('RUN', instructions).flatMap((run) => npmScripts(run.args));
      for (const path of copyPaths(copy).sources) {
        const relative = posix.relative(sourceWorkdir, posix.resolve(sourceWorkdir, path));
        if (!(relative in builtBy)) continue;
        copied.add(relative);
        expect(scripts, `line ${copy.line}: ${relative} is built by ${builtBy[relative]!.join(' or ')}`).toEqual(expect.arrayContaining([expect.toBeOneOf(builtBy[relative]!)]));
      }
    }
    expect([...copied].sort()).toEqual(Object.keys(builtBy).sort());
  });

  it('sets NODE_ENV=production in the image', () => {
    expect(of('ENV').map((env) => env.args).join(' ')).toMatch(/(^|\s)NODE_ENV=("?)production\2(\s|$)/);
  });

  it('runs as a non-root user, set before CMD', () => {
    const users = of('USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!;
    expect(user.args.split(':')[0]).not.toMatch(/^(root|0)$/);
    const cmd = of('CMD').at(-1)!;
    expect(finalInstructions.indexOf(user)).toBeLessThan(finalInstructions.indexOf(cmd));
  });

  it('checks its health on /readyz, with an interval, a timeout, a start period and retries', () => {
    const healthcheck = of('HEALTHCHECK').at(-1);
    expect(healthcheck).toBeDefined();
    expect(Object.keys(healthcheck!.flags).sort()).toEqual(['interval', 'retries', 'start-period', 'timeout']);
    expect(healthcheck!.args).toMatch(/^CMD\s/);
    expect(healthcheck!.args).toContain('/readyz');
  });

  it('HEALTHCHECK command passes on a 200 from /readyz on PORT, fails on a 503 and when nothing listens', async () => {
    const argv = JSON.parse(of('HEALTHCHECK').at(-1)!.args.replace(/^CMD\s+/, '')) as string[];
    expect(argv[0]).toBe('node');
    let status = 200;
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const check = (env: Record<string, string>) =>
      new Promise<number>((resolve) => {
        execFile(process.execPath, argv.slice(1), { env: { ...process.env, ...env }, timeout: 10_000 }, (error) => resolve(error ? Number(error.code ?? 1) : 0));
      });
    try {
      expect(await check({ PORT: String(port) })).toBe(0);
      status = 503;
      expect(await check({ PORT: String(port) })).toBe(1);
      expect(paths).toEqual(['/readyz', '/readyz']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await check({ PORT: String(port) })).toBe(1);
  });

  it('starts the compiled server with node (exec form, no tsx), with the heap flag, from a file the build emits', () => {
    expect(of('ENTRYPOINT')).toEqual([]);
    const cmd = of('CMD').at(-1)!.exec;
    expect(cmd, 'CMD in exec form').toBeDefined();
    expect(cmd![0]).toBe('node');
    expect(cmd!.join(' ')).not.toMatch(/tsx/);
    expect(cmd).toContain('--heap-growing-percent=30');
    const script = cmd!.find((arg) => arg.endsWith('.js'));
    expect(script).toBe('dist/main.js');
    const source = sourceOfEmitted(script!);
    expect(source).toBe('src/main.ts');
    expect(repoFileExists(source), source).toBe(true);
    expect(of('EXPOSE').map((e) => e.args)).toEqual(['4000']);
  });
});

describe('.dockerignore', () => {
  it('keeps secrets, installed and built files, tests and artifacts out of the build context', () => {
    const out = [
      '.env',
      '.env.production',
      'packages/client/.env',
      'node_modules/graphql/index.js',
      'packages/client/node_modules/x/index.js',
      'dist/main.js',
      'client/dist/index.html',
      'packages/client/dist/index.js',
      'test/deploy/compose.test.ts',
      'test-artifacts/a.png',
      'bench-results/run.json',
      '.git/HEAD',
      'npm-debug.log',
      'coverage/index.html',
      'docs/screenshots/dashboard.png',
      '.ci/run',
    ];
    for (const path of out) expect(dockerignore.excludes(path), path).toBe(true);
  });

  it('lets through every path the Dockerfile copies from the build context, and every tracked file under them', () => {
    const contextCopies = dockerfile.stages.flatMap((stage: Stage) => of('COPY', stage.instructions).concat(of('ADD', stage.instructions))).filter((i) => !i.flags.from);
    expect(contextCopies.length).toBeGreaterThan(0);
    const sources = [...new Set(contextCopies.flatMap((copy) => copyPaths(copy).sources))];
    for (const source of sources) {
      expect(repoFileExists(source), `${source} exists`).toBe(true);
      expect(dockerignore.excludes(source), `${source} is in the build context`).toBe(false);
    }
    const tracked = execFileSync('git', ['ls-files', '-z', '--', ...sources], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(sources.length);
    expect(tracked.filter((path) => dockerignore.excludes(path))).toEqual([]);
    // What the client package's build runs (postinstall): its generator script and its sources.
    for (const path of ['packages/client/scripts/generate-protocol.mjs', 'packages/client/tsconfig.json', 'packages/client/bin/titan.js', 'client/index.html', 'src/transport/wire-protocol.ts']) {
      expect(tracked, path).toContain(path);
    }
  });
});
