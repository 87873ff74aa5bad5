/**
 * Just enough of Docker's file formats to check the Dockerfile, .dockerignore and compose file by
 * reading them (this machine has no Docker engine): a Dockerfile parser (stages, instructions,
 * line continuations, comments, flags, exec form) and .dockerignore matching (`*`, `?`, `**`, `!`,
 * a pattern that matches a directory excludes everything under it, the last matching line wins).
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';

export const repoRoot = new URL('../../', import.meta.url);
export const readRepoFile = (path: string): string => readFileSync(new URL(path, repoRoot), 'utf8');
export const repoFileExists = (path: string): boolean => existsSync(new URL(path, repoRoot));

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword and its `--flags`, continuations joined with a space. */
  args: string;
  /** `--from=build` → { from: 'build' }; `--link` → { link: '' }. */
  flags: Record<string, string>;
  /** The exec form (`["node", "x.js"]`), when the arguments are a JSON array of strings. */
  exec?: string[];
  /** 1-based line of the keyword. */
  line: number;
}

export interface Stage {
  index: number;
  /** `AS <name>`, lower case as Docker compares it. */
  name?: string;
  /** The FROM argument with ARG defaults substituted: an image or an earlier stage's name. */
  from: string;
  /** The stage this one starts from, when `from` names one. */
  parent?: Stage;
  /** Instructions after FROM, in order. */
  instructions: Instruction[];
}

const FLAGGED = new Set(['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK']);

/** Logical lines: comment lines dropped (also inside a continuation), `\`-continued lines joined. */
export function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment and empty lines are skipped, also between continued lines (Docker does the same).
    if (trimmed.startsWith('#') || trimmed === '') return;
    const continued = /\\\s*$/.test(raw);
    const body = continued ? raw.replace(/\\\s*$/, '') : raw;
    if (current === undefined) current = { text: body.trim(), line: i + 1 };
    else if (body.trim() !== '') current.text += ' ' + body.trim();
    if (!continued) {
      out.push(current);
      current = undefined;
    }
  });
  if (current !== undefined) out.push(current);
  return out;
}

function parseInstruction({ text, line }: { text: string; line: number }): Instruction {
  const match = /^(\S+)\s*(.*)$/s.exec(text);
  if (!match) throw new Error(`Dockerfile line ${line}: cannot parse "${text}"`);
  const keyword = match[1]!.toUpperCase();
  let rest = match[2]!;
  const flags: Record<string, string> = {};
  if (FLAGGED.has(keyword)) {
    for (let flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest); flag; flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) {
      flags[flag[1]!] = flag[2] ?? '';
      rest = rest.slice(flag[0].length);
    }
  }
  const instruction: Instruction = { keyword, args: rest.trim(), flags, line };
  if (instruction.args.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(instruction.args);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) instruction.exec = parsed;
    } catch {
      // The shell form after all (Docker does the same).
    }
  }
  return instruction;
}

export interface Dockerfile {
  stages: Stage[];
  final: Stage;
  stage(name: string): Stage | undefined;
}

export function parseDockerfile(text: string): Dockerfile {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of logicalLines(text).map(parseInstruction)) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => args.get(arg) ?? '').split(/\s+/);
      const from = image.toLowerCase();
      stages.push({
        index: stages.length,
        name: as?.toUpperCase() === 'AS' ? name?.toLowerCase() : undefined,
        from,
        parent: stages.find((stage) => stage.name === from),
        instructions: [],
      });
    } else if (stages.length === 0) {
      // Before the first FROM only ARG may appear: its default can be used in FROM.
      if (instruction.keyword !== 'ARG') throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before FROM`);
      const [name = '', value = ''] = instruction.args.split('=');
      args.set(name, value.replace(/^"(.*)"$/, '$1'));
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  const final = stages.at(-1);
  if (!final) throw new Error('Dockerfile: no FROM');
  return { stages, final, stage: (name) => stages.find((stage) => stage.name === name.toLowerCase()) };
}

/** The stage and the stages it starts from, outermost first: what its filesystem and settings inherit. */
export function lineage(stage: Stage): Stage[] {
  return stage.parent ? [...lineage(stage.parent), stage] : [stage];
}

/** The image a stage is ultimately built on. */
export const baseImage = (stage: Stage): string => lineage(stage)[0]!.from;

/** Instructions in effect for a stage: its ancestors' then its own. */
export const inheritedInstructions = (stage: Stage): Instruction[] => lineage(stage).flatMap((s) => s.instructions);

/** A COPY/ADD's sources and destination (shell or exec form). */
export function copyPaths(instruction: Instruction): { sources: string[]; dest: string } {
  const parts = instruction.exec ?? instruction.args.split(/\s+/).filter(Boolean);
  if (parts.length < 2) throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} needs a source and a destination`);
  return { sources: parts.slice(0, -1), dest: parts.at(-1)! };
}

/**
 * The absolute paths a COPY creates: a destination ending in `/` (or several sources) is a
 * directory that receives each source by its base name; otherwise the destination is the copy.
 */
export function copyTargets(instruction: Instruction, workdir: string): string[] {
  const { sources, dest } = copyPaths(instruction);
  const absolute = posix.resolve(workdir, dest);
  if (dest.endsWith('/') || sources.length > 1) return sources.map((source) => posix.join(absolute, posix.basename(source)));
  return [absolute];
}

/** The stage's WORKDIR (absolute) where each of its instructions runs. */
export function workdirs(stage: Stage): Map<Instruction, string> {
  const map = new Map<Instruction, string>();
  let dir = '/';
  for (const instruction of inheritedInstructions(stage)) {
    if (instruction.keyword === 'WORKDIR') dir = posix.resolve(dir, instruction.args);
    map.set(instruction, dir);
  }
  return map;
}

interface IgnoreRule {
  pattern: string;
  negate: boolean;
  regex: RegExp;
}

function globToRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

export interface DockerIgnore {
  rules: IgnoreRule[];
  /** Whether a path of the build context (relative, `/`-separated) is left out of it. */
  excludes(path: string): boolean;
}

export function parseDockerIgnore(text: string): DockerIgnore {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let pattern = raw.trim();
    if (pattern === '' || pattern.startsWith('#')) continue;
    const negate = pattern.startsWith('!');
    if (negate) pattern = pattern.slice(1).trim();
    pattern = posix.normalize(pattern).replace(/^\/+/, '').replace(/\/+$/, '');
    rules.push({ pattern, negate, regex: globToRegex(pattern) });
  }
  return {
    rules,
    excludes(path) {
      const clean = posix.normalize(path).replace(/^\/+/, '').replace(/\/+$/, '');
      // A pattern that matches a directory matches everything under it.
      const candidates = clean.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
      let excluded = false;
      for (const rule of rules) if (candidates.some((candidate) => rule.regex.test(candidate))) excluded = !rule.negate;
      return excluded;
    },
  };
}

/** JSON with comments and trailing commas (tsconfig files) to a value. */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
      if (i === 0) break;
    } else {
      out += c;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/**
 * The TypeScript source the server build (`tsc -p tsconfig.build.json`) compiles to a file it
 * emits: `dist/domain/x.js` → `src/domain/x.ts`, from the build config's outDir and rootDir.
 */
export function sourceOfEmitted(emitted: string): string {
  const { compilerOptions } = parseJsonc(readRepoFile('tsconfig.build.json')) as { compilerOptions?: { rootDir?: string; outDir?: string } };
  const outDir = posix.normalize(compilerOptions?.outDir ?? '');
  const rootDir = posix.normalize(compilerOptions?.rootDir ?? '');
  const path = posix.normalize(emitted);
  if (!outDir || !rootDir || !path.startsWith(`${outDir}/`)) throw new Error(`${emitted} is not under the server build's outDir (${outDir})`);
  return posix.join(rootDir, path.slice(outDir.length + 1)).replace(/\.js$/, '.ts');
}
