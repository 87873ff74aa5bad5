#!/usr/bin/env node
/**
 * The package's copy of the server's wire contract, generated, never edited: the close codes
 * (`src/transport/close-codes.ts`, the one `CloseCode` enum) and the MessagePack contract
 * (`src/transport/wire-protocol.ts`). The package is published on its own and cannot import from
 * the server's tree, so both files are copied verbatim under a header; `--check` fails when a copy
 * differs from its source (run by `npm run check:codegen`).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverDir = join(packageDir, '..', '..', 'src', 'transport');
const outDir = join(packageDir, 'src', 'protocol');
const FILES = ['close-codes.ts', 'wire-protocol.ts'];

const check = process.argv.includes('--check');
let stale = [];
mkdirSync(outDir, { recursive: true });
for (const name of FILES) {
  const header = `// Generated from src/transport/${name} by packages/client/scripts/generate-protocol.mjs: do not edit.\n`;
  const text = header + readFileSync(join(serverDir, name), 'utf8');
  const target = join(outDir, name);
  let current = null;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // not generated yet
  }
  if (current === text) continue;
  if (check) stale.push(target);
  else writeFileSync(target, text);
}
if (stale.length > 0) {
  console.error(`Stale generated files (run npm run codegen): ${stale.join(', ')}`);
  process.exit(1);
}
