import { createTitanClient, fileCursorStore, type TitanClient } from '../node.js';
import type { CommonOptions } from './args.js';
import { devToken } from './dev-token.js';

/**
 * The one client a command runs on: the package's own, with the token of the command line, else
 * the server's development token (so `titan subscribe …` just works against `npm start`).
 */
export async function connect(options: CommonOptions, cursorFile?: string): Promise<TitanClient> {
  const token = options.token ?? (await devToken(options.url));
  return createTitanClient({
    url: options.url,
    token,
    encoding: options.encoding,
    transport: options.transport,
    ...(cursorFile !== undefined && { cursorStore: fileCursorStore(cursorFile) }),
  });
}
