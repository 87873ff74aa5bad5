import type { CommonOptions } from '../args.js';
import { devToken } from '../dev-token.js';

/** Prints the server's development token, bare, for `TITAN_TOKEN=$(titan token)`. */
export async function token(options: CommonOptions): Promise<void> {
  process.stdout.write(`${await devToken(options.url)}\n`);
}
