import { classifyClose } from '../../close-codes.js';
import { BacktestProgressDocument, PricesDocument, SignalsDocument } from '../../operations.js';
import type { TitanClient } from '../../titan-client.js';
import type { TitanStream } from '../../streams/titan-stream.js';
import type { Command, CommonOptions } from '../args.js';
import { connect } from '../connect.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { warn, writeLine } from '../output.js';

type Subscribe = Extract<Command, { name: 'subscribe' }>;

/**
 * Through `subscribe(document, variables)` for all three, so that `--after` is one more variable:
 * a cursor in the file (`--cursor-file`) wins over it, and every reconnect resumes after the last
 * received event. On `CURSOR_EXPIRED` the stream goes on live, and the CLI says so on stderr.
 */
function open(titan: TitanClient, command: Subscribe): TitanStream<{ cursor?: string | null }> {
  const after = command.after !== undefined ? { after: command.after } : {};
  switch (command.stream) {
    case 'price':
      return titan.subscribe(PricesDocument, {
        symbols: command.symbols ?? [],
        ...(command.maxRate !== undefined && { maxRate: command.maxRate }),
        ...after,
      });
    case 'signal':
      return titan.subscribe(SignalsDocument, {
        ...(command.strategies && { strategyIds: command.strategies }),
        ...(command.symbols && { symbols: command.symbols }),
        ...after,
      });
    case 'backtest-progress':
      return titan.subscribe(BacktestProgressDocument, { id: command.id ?? '', ...after });
  }
}

/** Prints every event until a signal, the server's `complete`, or a failure that no retry fixes. */
export async function subscribe(command: Subscribe, options: CommonOptions): Promise<void> {
  const titan = await connect(options, command.cursorFile);
  const stream = open(titan, command);
  let failure: CliError | null = null;
  let connected = false;
  const fail = (error: CliError) => {
    failure ??= error;
    stream.close();
  };
  titan.on('state', ({ oldState, newState, status }) => {
    const why = status.reason ? `: ${status.reason}` : status.code ? ` (close ${status.code})` : '';
    // A refusal shows as a close (4401, 4403, or SSE's HTTP 401 as 4401) before `auth-needed`.
    const refused = newState === 'auth-needed' || ['auth', 'forbidden'].includes(classifyClose({ code: status.code, reason: '' }));
    if (newState === 'connected') connected = true;
    else if (refused) fail(new CliError(ExitCode.token, `the server refused the token${why}`));
    else if (newState === 'failed') fail(new CliError(ExitCode.failure, `the connection failed for good${why}`));
    // Never connected: the URL is wrong or nothing listens there. Once connected, every drop is retried.
    else if (newState === 'reconnecting' && !connected) fail(new CliError(ExitCode.unreachable, `cannot reach ${options.url}${why}`));
    else if (newState === 'reconnecting' && oldState === 'connected') warn(`connection lost${why}; resuming after the last cursor`);
  });
  titan.on('cursorExpired', () => warn('the history after the last cursor is gone: going on live (events in between are missed)'));
  const stop = () => stream.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const events = stream[Symbol.asyncIterator]();
  try {
    // Asking for the next event once a line is written stores the line's cursor.
    for (let next = await events.next(); !next.done; next = await events.next()) writeLine(next.value);
  } finally {
    // Waits for the cursors still being stored (a stream ended by close() does not), so that a
    // titan stopped by a signal and started again repeats no line.
    await events.return?.();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    titan.close();
  }
  if (failure) throw failure;
}
