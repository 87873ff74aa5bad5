import { parseArgs } from 'node:util';
import { CliError, ExitCode } from './exit-codes.js';

/** The command line, parsed and checked: everything a command needs, nothing left to validate. */

export interface CommonOptions {
  /** The WebSocket URL of `/graphql`; HTTP calls use its `http(s)://` twin. */
  url: string;
  /** From `--token`, else `TITAN_TOKEN`; null: ask the server for a development token. */
  token: string | null;
  encoding: 'json' | 'msgpack';
  transport: 'auto' | 'ws' | 'sse';
}

export type Command =
  | { name: 'help' }
  /** `maxRate`: price updates per second per symbol (`--max-rate`; the server checks its bounds). */
  | { name: 'subscribe'; stream: 'price' | 'signal' | 'backtest-progress'; symbols?: string[]; strategies?: string[]; id?: string; after?: string; cursorFile?: string; maxRate?: number }
  | { name: 'snapshot'; of: 'prices' | 'signals'; symbols?: string[]; strategies?: string[] }
  /** `batch`: stdin lines per request, 1 to 1000 (`--batch`). */
  | { name: 'publish'; kind: 'price' | 'signal'; json?: string; batch: number }
  | { name: 'token' };

export const DEFAULT_URL = 'ws://localhost:4000/graphql';

/** Stdin lines `titan publish` sends per request by default (within the server's PUBLISH_BATCH_MAX and burst defaults). */
export const DEFAULT_PUBLISH_BATCH = 100;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  encoding: { type: 'string' },
  transport: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  symbols: { type: 'string' },
  strategies: { type: 'string' },
  id: { type: 'string' },
  after: { type: 'string' },
  'cursor-file': { type: 'string' },
  'max-rate': { type: 'string' },
  json: { type: 'string' },
  batch: { type: 'string' },
} as const;

/** Which flags each command takes besides the common ones. */
const COMMAND_FLAGS: Record<Exclude<Command['name'], 'help'>, readonly string[]> = {
  subscribe: ['symbols', 'strategies', 'id', 'after', 'cursor-file', 'max-rate'],
  snapshot: ['symbols', 'strategies'],
  publish: ['json', 'batch'],
  token: [],
};

const usage = (message: string) => new CliError(ExitCode.usage, `${message} (see titan --help)`);

function oneOf<T extends string>(what: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw usage(`${what} must be one of ${allowed.join(', ')}, not "${value}"`);
}

/** `A,B` → `['A', 'B']`; an empty list is a mistake, not "everything". */
function list(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (items.length === 0) throw usage(`--${flag} needs at least one value`);
  return items;
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): { command: Command; options: CommonOptions } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw usage((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const { values, positionals } = parsed;
  const options: CommonOptions = {
    url: values.url ?? DEFAULT_URL,
    token: values.token ?? (env.TITAN_TOKEN || null),
    encoding: oneOf('--encoding', values.encoding, ['json', 'msgpack'] as const) ?? 'json',
    transport: oneOf('--transport', values.transport, ['auto', 'ws', 'sse'] as const) ?? 'auto',
  };
  if (!/^(wss?|https?):\/\//.test(options.url)) throw usage(`--url must be a ws(s):// or http(s):// URL, not "${options.url}"`);
  const [name, target, ...extra] = positionals;
  if (values.help || name === undefined || name === 'help') return { command: { name: 'help' }, options };
  if (!(name in COMMAND_FLAGS)) throw usage(`unknown command "${name}"`);
  const commandName = name as keyof typeof COMMAND_FLAGS;
  if (extra.length > 0) throw usage(`unexpected argument "${extra[0]}"`);
  for (const flag of Object.keys(values)) {
    if (flag in OPTIONS && !['url', 'token', 'encoding', 'transport', 'help'].includes(flag) && !COMMAND_FLAGS[commandName].includes(flag)) {
      throw usage(`titan ${commandName} takes no --${flag}`);
    }
  }
  const symbols = list('symbols', values.symbols);
  const strategies = list('strategies', values.strategies);

  switch (commandName) {
    case 'subscribe': {
      const stream = oneOf('titan subscribe', target, ['price', 'signal', 'backtest-progress'] as const);
      if (stream === undefined) throw usage('titan subscribe needs price, signal or backtest-progress');
      if (stream === 'price' && !symbols) throw usage('titan subscribe price needs --symbols');
      if (stream === 'backtest-progress' && !values.id) throw usage('titan subscribe backtest-progress needs --id');
      if (stream !== 'backtest-progress' && values.id !== undefined) throw usage(`titan subscribe ${stream} takes no --id`);
      if (stream !== 'signal' && strategies) throw usage(`titan subscribe ${stream} takes no --strategies`);
      if (stream === 'backtest-progress' && symbols) throw usage('titan subscribe backtest-progress takes no --symbols');
      if (stream !== 'price' && values['max-rate'] !== undefined) throw usage(`titan subscribe ${stream} takes no --max-rate (only prices are capped)`);
      const maxRate = values['max-rate'] === undefined ? undefined : Number(values['max-rate']);
      if (maxRate !== undefined && !(Number.isFinite(maxRate) && maxRate > 0)) {
        throw usage(`--max-rate must be a number of updates per second, not "${values['max-rate']}"`);
      }
      return {
        command: { name: 'subscribe', stream, symbols, strategies, id: values.id, after: values.after, cursorFile: values['cursor-file'], maxRate },
        options,
      };
    }
    case 'snapshot': {
      const of = oneOf('titan snapshot', target, ['prices', 'signals'] as const);
      if (of === undefined) throw usage('titan snapshot needs prices or signals');
      // The signal snapshot filters by one strategy and one symbol.
      if (of === 'signals' && ((symbols?.length ?? 0) > 1 || (strategies?.length ?? 0) > 1)) {
        throw usage('titan snapshot signals takes one symbol and one strategy at most');
      }
      if (of === 'prices' && strategies) throw usage('titan snapshot prices takes no --strategies');
      return { command: { name: 'snapshot', of, symbols, strategies }, options };
    }
    case 'publish': {
      const kind = oneOf('titan publish', target, ['price', 'signal'] as const);
      if (kind === undefined) throw usage('titan publish needs price or signal');
      if (values.json !== undefined && values.batch !== undefined) throw usage('titan publish takes --batch with stdin only, not with --json');
      const batch = values.batch === undefined ? DEFAULT_PUBLISH_BATCH : Number(values.batch);
      if (!Number.isInteger(batch) || batch < 1 || batch > 1000) throw usage(`--batch must be a whole number from 1 to 1000, not "${values.batch}"`);
      return { command: { name: 'publish', kind, json: values.json, batch }, options };
    }
    case 'token':
      if (target !== undefined) throw usage(`unexpected argument "${target}"`);
      return { command: { name: 'token' }, options };
  }
}
