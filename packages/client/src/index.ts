/**
 * `@titan-realtime/client`: the one client of TITAN Realtime, for services (Node) and browsers.
 * Under Node the package resolves to `node.ts`, which adds what needs Node (the `ws` WebSocket,
 * files) to everything here.
 */
export { backoff } from './backoff.js';
export { classifyClose, CloseCode, CloseError, isCloseLike, shouldRetry, type CloseClass, type CloseLike } from './close-codes.js';
export { MSGPACK_PROTOCOL } from './protocol/wire-protocol.js';
export { fetchDevToken, isExpired, normalizeToken, tokenExpiry } from './token.js';
export {
  canTransition,
  createConnectionStatusStore,
  type ConnectionState,
  type ConnectionStatus,
  type ConnectionStatusChange,
  type ConnectionStatusDetail,
  type ConnectionStatusStore,
} from './live/connection-status.js';
export { createLiveConnection, type LiveConnection, type LiveConnectionOptions } from './live/live-connection.js';
export { browserNetwork, browserPageVisibility, type NetworkMonitor, type PageVisibility } from './live/page-lifecycle.js';
export { msgpackWebSocket } from './live/msgpack-websocket.js';
export {
  declaresAfter,
  rootCursor,
  type ExecutionResultLike,
  type GraphQLErrorLike,
  type ResultSink,
  type SubscriptionPayload,
} from './live/resumable-subscription.js';
export { startTokenRenewal, type TokenRenewalOptions } from './live/token-renewal.js';
export {
  createTokenStore,
  type TokenRequest,
  type TokenSnapshot,
  type TokenStorage,
  type TokenStore,
  type TokenStoreOptions,
} from './live/token-store.js';
export { memoryCursorStore, type CursorStore } from './cursor-store.js';
export { TitanError, type TitanErrorCode } from './errors.js';
export * from './operations.js';
export type { TitanStream } from './streams/titan-stream.js';
export {
  createTitanClient,
  type BacktestProgress,
  type CursorExpiredEvent,
  type PriceTick,
  type PublishBatch,
  type PublishItem,
  type Signal,
  type TitanClient,
  type TitanClientOptions,
} from './titan-client.js';
