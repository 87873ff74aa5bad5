import WebSocket from 'ws';
import { createTitanClient as createClient, type TitanClient, type TitanClientOptions } from './titan-client.js';

/**
 * The package under Node (its `node` export condition): everything of the browser entry, with
 * `ws` as the WebSocket (Node 20 has none) and cursors kept in a file.
 */
export * from './index.js';
export { fileCursorStore } from './file-cursor-store.js';

export function createTitanClient(options: TitanClientOptions): TitanClient {
  // ws implements the browser's WebSocket interface that the transports are written against.
  return createClient({ webSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket, ...options });
}
