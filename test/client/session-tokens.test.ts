import { CloseCode } from '../../src/transport/close-codes.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isExpired, normalizeToken, tokenExpiry } from '@titan-realtime/client';
import { startTokenRenewal } from '@titan-realtime/client';
import { createTokenStore, type TokenStoreOptions } from '@titan-realtime/client';

/** An unsigned JWT-shaped token with these claims (the client never checks signatures). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

function memoryStorage(initial: string | null = null) {
  let stored = initial;
  return { read: () => stored, write: (token: string) => void (stored = token), clear: () => void (stored = null), peek: () => stored };
}

function store(devTokens: (string | null)[], options: Omit<TokenStoreOptions, 'fetchDevToken'> = {}) {
  const fetchDevToken = vi.fn(async () => (devTokens.length > 1 ? devTokens.shift()! : (devTokens[0] ?? null)));
  return { tokens: createTokenStore({ storage: memoryStorage(), ...options, fetchDevToken }), fetchDevToken };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('tokenExpiry / isExpired / normalizeToken', () => {
  it('reads exp (seconds) as ms epoch, and null when there is none or the token is not a JWT', () => {
    expect(tokenExpiry(jwt({ sub: 'a', exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
    expect(tokenExpiry(jwt({ sub: 'a' }))).toBeNull();
    expect(tokenExpiry('not-a-jwt')).toBeNull();
    expect(tokenExpiry('a.%%%.c')).toBeNull();
    expect(isExpired(jwt({ exp: 100 }), 100_000)).toBe(true);
    expect(isExpired(jwt({ exp: 101 }), 100_000)).toBe(false);
    expect(isExpired('opaque')).toBe(false);
  });

  it('handles base64url payloads whose length needs padding and non-ASCII-free claims', () => {
    for (const sub of ['a', 'ab', 'abc', 'abcd', '>>>???']) expect(tokenExpiry(jwt({ sub, exp: 42 }))).toBe(42_000);
  });

  it('trims pasted tokens and drops a leading Bearer', () => {
    expect(normalizeToken('  Bearer abc.def.ghi \n')).toBe('abc.def.ghi');
    expect(normalizeToken('bearer   x')).toBe('x');
  });
});

describe('createTokenStore', () => {
  it('starts with the dev token when the server has one', async () => {
    const { tokens } = store(['D1']);
    await expect(tokens.acquire()).resolves.toBe('D1');
    expect(tokens.getSnapshot()).toEqual({ token: 'D1', source: 'dev', request: null });
  });

  it('else with the token kept for this tab, unless it has expired', async () => {
    const kept = store([null], { storage: memoryStorage('U1') });
    await expect(kept.tokens.acquire()).resolves.toBe('U1');
    expect(kept.tokens.getSnapshot().source).toBe('user');

    const expired = store([null], { storage: memoryStorage(jwt({ exp: 1 })) });
    void expired.tokens.acquire();
    await vi.waitFor(() => expect(expired.tokens.getSnapshot().request).toEqual({ reason: 'missing' }));
  });

  it('else asks the user, and keeps what they enter for the tab', async () => {
    const storage = memoryStorage();
    const { tokens } = store([null], { storage });
    const listener = vi.fn();
    tokens.subscribe(listener);
    const acquired = tokens.acquire();
    await vi.waitFor(() => expect(tokens.getSnapshot().request).toEqual({ reason: 'missing' }));
    tokens.supply('  Bearer U1 ');
    await expect(acquired).resolves.toBe('U1');
    expect(tokens.getSnapshot()).toEqual({ token: 'U1', source: 'user', request: null });
    expect(storage.peek()).toBe('U1');
    expect(listener).toHaveBeenCalled();
  });

  it('refreshes a refused token silently when the dev endpoint has another one', async () => {
    const { tokens } = store(['D1', 'D2']);
    await tokens.acquire();
    await expect(tokens.refresh('D1', { code: CloseCode.Unauthorized })).resolves.toBe('D2');
    expect(tokens.getSnapshot().request).toBeNull();
  });

  it('asks the user when the dev endpoint only has the refused token, and forgets a refused user token', async () => {
    const storage = memoryStorage('U1');
    const dev = store(['D1'], { storage });
    await dev.tokens.acquire();
    const refreshed = dev.tokens.refresh('D1', { code: CloseCode.Forbidden, message: 'Forbidden' });
    await vi.waitFor(() => expect(dev.tokens.getSnapshot().request).toEqual({ reason: 'refused', code: CloseCode.Forbidden, message: 'Forbidden' }));
    expect(dev.tokens.current()).toBe('D1'); // the old one stays until there is a new one
    dev.tokens.supply('U2');
    await expect(refreshed).resolves.toBe('U2');

    const user = store([null], { storage: memoryStorage('U1') });
    await user.tokens.acquire();
    void user.tokens.refresh('U1');
    await vi.waitFor(() => expect(user.tokens.getSnapshot().request?.reason).toBe('refused'));
  });

  it('shares one refresh between concurrent callers, and answers at once when the token already changed', async () => {
    const { tokens, fetchDevToken } = store(['D1', 'D2']);
    await tokens.acquire();
    const [a, b] = await Promise.all([tokens.refresh('D1'), tokens.refresh('D1')]);
    expect([a, b]).toEqual(['D2', 'D2']);
    expect(fetchDevToken).toHaveBeenCalledTimes(2); // acquire + one refresh
    await expect(tokens.refresh('D1')).resolves.toBe('D2'); // a late caller with the old token
    expect(fetchDevToken).toHaveBeenCalledTimes(2);
  });

  it('renews silently only a dev token, and only for one that lives longer', async () => {
    const now = Math.floor(Date.now() / 1000);
    const soon = jwt({ sub: 'dev', exp: now + 1_000 });
    const later = jwt({ sub: 'dev', exp: now + 2_000 });
    const dev = store([soon, soon, later]);
    await dev.tokens.acquire();
    await expect(dev.tokens.renewSilently()).resolves.toBeNull(); // the same token again
    await expect(dev.tokens.renewSilently()).resolves.toBe(later);
    expect(dev.tokens.current()).toBe(later);

    const user = store([null, later], { storage: memoryStorage(soon) });
    await user.tokens.acquire();
    await expect(user.tokens.renewSilently()).resolves.toBeNull(); // never swap a user's identity
  });
});

describe('startTokenRenewal', () => {
  it('renews 60 s before exp with a fresh dev token, then schedules the next renewal', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const first = jwt({ sub: 'dev', exp: 600 }); // 10 min
    const second = jwt({ sub: 'dev', exp: 1_200 });
    const third = jwt({ sub: 'dev', exp: 1_800 });
    const { tokens } = store([first, second, third]);
    await tokens.acquire();
    const renew = vi.fn(async () => true);
    const stop = startTokenRenewal({ tokens, renew });

    await vi.advanceTimersByTimeAsync(540_000 - 1);
    expect(renew).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(renew).toHaveBeenCalledWith(second);
    expect(tokens.current()).toBe(second);

    await vi.advanceTimersByTimeAsync(600_000);
    expect(renew).toHaveBeenLastCalledWith(third);
    stop();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(renew).toHaveBeenCalledTimes(2);
  });

  it('does nothing for a token without exp, or when no fresh token can be had silently', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const { tokens } = store([null], { storage: memoryStorage(jwt({ sub: 'u', exp: 120 })) });
    await tokens.acquire();
    const renew = vi.fn(async () => true);
    startTokenRenewal({ tokens, renew });
    await vi.advanceTimersByTimeAsync(200_000);
    expect(renew).not.toHaveBeenCalled();
  });

  it('renews at once a token already inside the lead time', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    const { tokens } = store([jwt({ sub: 'dev', exp: 30 }), jwt({ sub: 'dev', exp: 900 })]);
    await tokens.acquire();
    const renew = vi.fn(async () => true);
    startTokenRenewal({ tokens, renew });
    await vi.advanceTimersByTimeAsync(0);
    expect(renew).toHaveBeenCalledTimes(1);
  });
});
