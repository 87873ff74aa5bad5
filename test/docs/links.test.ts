/**
 * Every relative link in the README, SECURITY.md and docs/*.md points to a file that exists, and every
 * `#anchor` to a heading of its target (GitHub's rules: lowercase, punctuation removed, spaces → `-`,
 * a repeated heading gets `-1`, `-2`, …). Links inside fenced code blocks and to other sites are skipped.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const docs = join(root, 'docs');
const files = [
  join(root, 'README.md'),
  join(root, 'SECURITY.md'),
  ...readdirSync(docs).filter((name) => name.endsWith('.md')).map((name) => join(docs, name)),
];

/** The text outside fenced code blocks and inline code spans. */
function prose(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) lines.push(line);
  }
  return lines;
}

/** GitHub's anchor for a heading's text. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading keeps its text
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(readFileSync(file, 'utf8'))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

function links(file: string): string[] {
  const found: string[] = [];
  for (const line of prose(readFileSync(file, 'utf8'))) {
    const text = line.replace(/`[^`]*`/g, '');
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push(match[1] ?? '');
  }
  return found;
}

describe('relative links in the documentation', () => {
  it('finds the files to check', () => {
    expect(files.length).toBeGreaterThan(3);
  });

  it('computes anchors as GitHub does', () => {
    expect(slug('From a service: the client package and the `titan` CLI')).toBe(
      'from-a-service-the-client-package-and-the-titan-cli',
    );
    expect(slug('MessagePack, permessage-deflate, SSE')).toBe('messagepack-permessage-deflate-sse');
    expect(slug('Architecture: the path of an event')).toBe('architecture-the-path-of-an-event');
  });

  for (const file of files) {
    it(`${relative(root, file)}: every relative link and anchor resolves`, () => {
      const broken: string[] = [];
      for (const link of links(file)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, …
        const [path, anchor] = link.split('#', 2) as [string, string | undefined];
        const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(target)) {
          broken.push(`${link}: no file ${relative(root, target)}`);
          continue;
        }
        if (anchor !== undefined && target.endsWith('.md') && !anchors(target).has(decodeURIComponent(anchor))) {
          broken.push(`${link}: no heading #${anchor} in ${relative(root, target)}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
