import { createInterface } from 'node:readline';
import { TitanError } from '../../errors.js';
import type { PriceInput, SignalInput } from '../../gql/graphql.js';
import type { TitanClient } from '../../titan-client.js';
import type { Command, CommonOptions } from '../args.js';
import { connect } from '../connect.js';
import { CliError, ExitCode, exitCodeOf, type ExitCode as Code } from '../exit-codes.js';
import { writeLine } from '../output.js';

type Publish = Extract<Command, { name: 'publish' }>;

/** How often a rate-limited item is tried again (after the server's `retryAfterMs`) before it fails. */
const RATE_LIMIT_ATTEMPTS = 5;

/** The inputs: the one of `--json`, else every non-blank line of stdin, numbered from 1. */
async function* inputs(command: Publish): AsyncGenerator<{ line: number; text: string }> {
  if (command.json !== undefined) {
    yield { line: 1, text: command.json };
    return;
  }
  if (process.stdin.isTTY) throw new CliError(ExitCode.usage, `titan publish ${command.kind} needs --json or NDJSON on stdin (see titan --help)`);
  let line = 0;
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() !== '') yield { line, text };
  }
}

function parse(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TitanError('BAD_USER_INPUT', `not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TitanError('BAD_USER_INPUT', 'not a JSON object');
  return value as Record<string, unknown>;
}

/** A rate-limited publish was refused before anything was stored: trying it again cannot double it. */
async function publishOne(titan: TitanClient, kind: Publish['kind'], input: Record<string, unknown>): Promise<unknown> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return kind === 'price' ? await titan.publishPrice(input as unknown as PriceInput) : await titan.publishSignal(input as unknown as SignalInput);
    } catch (error) {
      if (!(error instanceof TitanError) || error.code !== 'RATE_LIMITED' || attempt >= RATE_LIMIT_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs ?? 1_000));
    }
  }
}

/**
 * Publishes each input in order and prints one line for it: the event as published, or
 * `{"line":n,"error":{"code","message"}}`. A failed item does not stop the others; the process
 * then exits with the code of the first failure.
 */
export async function publish(command: Publish, options: CommonOptions): Promise<void> {
  const titan = await connect(options);
  let firstFailure: Code | null = null;
  try {
    for await (const { line, text } of inputs(command)) {
      try {
        writeLine(await publishOne(titan, command.kind, parse(text)));
      } catch (error) {
        const code = error instanceof TitanError ? error.code : 'INTERNAL_SERVER_ERROR';
        writeLine({ line, error: { code, message: (error as Error).message } });
        firstFailure ??= exitCodeOf(error);
      }
    }
  } finally {
    titan.close();
  }
  if (firstFailure !== null) throw new CliError(firstFailure, 'some inputs were not published (see the error lines on stdout)');
}
