import { createInterface } from 'node:readline';
import { TitanError } from '../../errors.js';
import type { PriceInput, SignalInput } from '../../gql/graphql.js';
import type { PublishBatch, TitanClient } from '../../titan-client.js';
import type { Command, CommonOptions } from '../args.js';
import { connect } from '../connect.js';
import { CliError, ExitCode, exitCodeOf, type ExitCode as Code } from '../exit-codes.js';
import { writeLine } from '../output.js';

type Publish = Extract<Command, { name: 'publish' }>;

/** How often a rate-limited request is tried again (after the server's `retryAfterMs`) before it fails. */
const RATE_LIMIT_ATTEMPTS = 5;

/** A non-blank line of stdin, numbered from 1. */
interface Line {
  line: number;
  text: string;
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

/** A rate-limited request was refused before anything was stored: trying it again cannot double it. */
async function retryingRateLimits<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof TitanError) || error.code !== 'RATE_LIMITED' || attempt >= RATE_LIMIT_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs ?? 1_000));
    }
  }
}

/**
 * Stdin's non-blank lines in batches of at most `max`: whatever has arrived when the previous batch
 * is done, so a slow producer's lines go out at once and a fast one's fill batches. Reading pauses
 * while ten batches wait (memory stays bounded whatever the producer's pace).
 */
async function* stdinBatches(max: number): AsyncGenerator<Line[]> {
  const queued: Line[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const reader = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let line = 0;
  reader.on('line', (text) => {
    line += 1;
    if (text.trim() === '') return;
    queued.push({ line, text });
    if (queued.length >= max * 10) reader.pause();
    wake?.();
  });
  reader.on('close', () => {
    ended = true;
    wake?.();
  });
  try {
    for (;;) {
      if (queued.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (queued.length === 0 && ended) return;
      const batch = queued.splice(0, max);
      // A closed reader (stdin ended) may not be resumed: Node 24 throws "readline was closed".
      if (!ended && queued.length < max * 10) reader.resume();
      yield batch;
    }
  } finally {
    reader.close();
  }
}

/** The lines that parse and their inputs; the others are printed as error lines at their place. */
type Parsed = { line: number; input: Record<string, unknown> } | { line: number; error: TitanError };

/**
 * Publishes one batch of lines in one request and prints one line per input, in line order: the
 * input as published with the `id` and `cursor` the server gave it (`duplicate: true` when its id
 * was published before), or `{"line":n,"error":{"code","message"}}`. Returns the first failure's
 * exit code, if any.
 */
async function publishLines(titan: TitanClient, kind: Publish['kind'], lines: readonly Line[]): Promise<Code | null> {
  const parsed: Parsed[] = lines.map(({ line, text }) => {
    try {
      return { line, input: parse(text) };
    } catch (error) {
      return { line, error: error as TitanError };
    }
  });
  const inputs = parsed.flatMap((item) => ('input' in item ? [item.input] : []));
  let batch: PublishBatch | null = null;
  let whole: unknown = null;
  if (inputs.length > 0) {
    try {
      batch = await retryingRateLimits(() =>
        kind === 'price' ? titan.publishPrices(inputs as unknown as PriceInput[]) : titan.publishSignals(inputs as unknown as SignalInput[]),
      );
    } catch (error) {
      whole = error;
    }
  }
  let failure: Code | null = null;
  let index = 0;
  for (const item of parsed) {
    if ('error' in item || whole !== null) {
      const error = 'error' in item ? item.error : whole;
      const code = error instanceof TitanError ? error.code : 'INTERNAL_SERVER_ERROR';
      writeLine({ line: item.line, error: { code, message: (error as Error).message } });
      failure ??= exitCodeOf(error);
      continue;
    }
    const result = batch!.items[index++]!;
    if (result.error) {
      writeLine({ line: item.line, error: result.error });
      failure ??= ExitCode.badInput;
    } else {
      writeLine({ ...item.input, id: result.id, cursor: result.cursor, ...(result.duplicate && { duplicate: true }) });
    }
  }
  return failure;
}

/**
 * `--json`: publishes that event and prints it as published. Else publishes stdin's NDJSON lines in
 * batches (`--batch`, one request each) and prints one line per input, in order. A failed item does
 * not stop the others; the process then exits with the code of the first failure.
 */
export async function publish(command: Publish, options: CommonOptions): Promise<void> {
  if (command.json === undefined && process.stdin.isTTY) {
    throw new CliError(ExitCode.usage, `titan publish ${command.kind} needs --json or NDJSON on stdin (see titan --help)`);
  }
  const titan = await connect(options);
  let firstFailure: Code | null = null;
  try {
    if (command.json !== undefined) {
      const { json, kind } = command;
      try {
        const input = parse(json);
        writeLine(
          await retryingRateLimits<unknown>(() =>
            kind === 'price' ? titan.publishPrice(input as unknown as PriceInput) : titan.publishSignal(input as unknown as SignalInput),
          ),
        );
      } catch (error) {
        const code = error instanceof TitanError ? error.code : 'INTERNAL_SERVER_ERROR';
        writeLine({ line: 1, error: { code, message: (error as Error).message } });
        firstFailure = exitCodeOf(error);
      }
    } else {
      for await (const lines of stdinBatches(command.batch)) {
        const failure = await publishLines(titan, command.kind, lines);
        firstFailure ??= failure;
      }
    }
  } finally {
    titan.close();
  }
  if (firstFailure !== null) throw new CliError(firstFailure, 'some inputs were not published (see the error lines on stdout)');
}
