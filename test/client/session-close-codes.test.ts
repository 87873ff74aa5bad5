import { describe, expect, it } from 'vitest';
import { classifyClose, CloseError, shouldRetry } from '@titan-realtime/client';

const close = (code: number, reason = '') => ({ code, reason });

describe('classifyClose', () => {
  it.each([
    [4401, 'auth'],
    [4403, 'forbidden'],
    [1001, 'prompt'],
    [4008, 'prompt'],
    [1006, 'retry'],
    [1005, 'retry'],
    [1012, 'retry'],
    [1000, 'retry'],
    [4408, 'retry'],
    [4499, 'retry'],
    [4504, 'retry'],
    [4400, 'fatal'],
    [4409, 'fatal'],
    [4429, 'fatal'],
    [4500, 'fatal'],
    [1002, 'fatal'],
    [1009, 'fatal'],
  ] as const)('%i → %s', (code, kind) => {
    expect(classifyClose(close(code))).toBe(kind);
  });

  it('retries what is not a close: a DOM error event, an Error', () => {
    expect(classifyClose({ type: 'error' })).toBe('retry');
    expect(classifyClose(new Error('boom'))).toBe('retry');
    expect(classifyClose(undefined)).toBe('retry');
  });

  it("reads the SSE transport's CloseError like a close event", () => {
    expect(classifyClose(new CloseError(4401, 'HTTP 401'))).toBe('auth');
  });
});

describe('shouldRetry (graphql-ws)', () => {
  it('is false for auth refusals and fatal codes, true for the rest', () => {
    expect(shouldRetry(close(4401))).toBe(false);
    expect(shouldRetry(close(4403))).toBe(false);
    expect(shouldRetry(close(4400))).toBe(false);
    expect(shouldRetry(close(1001))).toBe(true);
    expect(shouldRetry(close(4008))).toBe(true);
    expect(shouldRetry(close(1006))).toBe(true);
    expect(shouldRetry({ type: 'error' })).toBe(true);
  });
});
