import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { CursorStore } from './cursor-store.js';

/**
 * Cursors in a JSON file (Node only), for a consumer process that restarts: `{ "<stream key>":
 * "<cursor>" }`, rewritten whole through a temporary file and a rename, so that a crash mid-write
 * leaves the previous version rather than a torn file.
 */
export function fileCursorStore(path: string): CursorStore {
  let cursors: Record<string, string> = {};
  try {
    cursors = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return {
    get: (key) => cursors[key] ?? null,
    set(key, cursor) {
      cursors = { ...cursors, [key]: cursor };
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(cursors));
      renameSync(temporary, path);
    },
  };
}
