import { describe, expect, it } from 'vitest';
import { memoryCursorStore } from '../../packages/client/src/cursor-store.js';
import { TitanError } from '../../packages/client/src/errors.js';
import type { LiveConnection } from '../../packages/client/src/live/live-connection.js';
import { createTitanStream } from '../../packages/client/src/streams/titan-stream.js';

describe('a stream that cannot subscribe', () => {
  it('ends with a TitanError its consumer sees, not an unhandled rejection', async () => {
    const broken = Promise.reject(new Error('no connection for you'));
    const stream = createTitanStream<{ cursor?: string | null }>({
      connection: broken as Promise<LiveConnection>,
      payload: { query: 'subscription { price(symbols: ["X"]) { cursor } }' },
      key: 'price:X',
      store: memoryCursorStore(),
      onExpired: async () => ({ after: null }),
      expired: () => {},
      maxQueued: 10,
    });
    await expect(stream.done).rejects.toBeInstanceOf(TitanError);
    await expect(stream.done).rejects.toThrow('no connection for you');
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toThrow('no connection for you');
  });
});
