import { DEFAULT_URL } from './args.js';

/** What the CLI writes: data on stdout (one JSON value a line), messages on stderr. */

/** One NDJSON line. Writes to a pipe or file are synchronous under Node, so a line is out once this returns. */
export function writeLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** One-line message for humans, prefixed so it stands out among other tools' output. */
export function warn(message: string): void {
  process.stderr.write(`titan: ${message}\n`);
}

export const HELP = `Usage: titan <command> [options]

Commands:
  subscribe price --symbols A,B          live prices, one JSON object a line (NDJSON) with its cursor
      --max-rate N          at most N ticks per second per symbol (0.01 to 100), ending on the latest
  subscribe signal [--strategies x,y] [--symbols A,B]
  subscribe backtest-progress --id ID
      --after CURSOR        start after this cursor (default: live, or where --cursor-file stopped)
      --cursor-file PATH    keep the last printed cursor in PATH; a restarted titan goes on from it
    Resumes after its last cursor across reconnects and server restarts: no event missed or doubled.
    SIGINT / SIGTERM end it (exit 0).
  snapshot prices [--symbols A,B]        the latest tick per symbol, one JSON document
  snapshot signals [--strategies x] [--symbols A]
  publish price|signal --json '{...}'    publish one event and print it as published (with its cursor)
  publish price|signal [--batch N]       publish each NDJSON line of stdin, in order, up to N lines per request
                                         (default 100, at most 1000: publishPrices / publishSignals)
    Prints one line per input, in order: the input with the id and cursor it was published with
    ("duplicate":true if its id was published before), or {"line":n,"error":{"code","message"}}.
  token                                  print a development token (GET /dev/token of the server)

Options:
  --url URL                  the server's /graphql (default ${DEFAULT_URL}; HTTP calls use http(s)://)
  --token JWT                the token (default: env TITAN_TOKEN, else the server's development token)
  --encoding json|msgpack    WebSocket frames (default json)
  --transport auto|ws|sse    auto: WebSocket, SSE when WebSockets cannot connect (default auto)
  -h, --help                 this text

Exit codes:
  0  done (a subscription: ended by SIGINT / SIGTERM or by the server)
  1  any other failure (a server error, a connection closed for good)
  2  usage error: unknown command or flag, missing or bad argument
  3  bad, expired or refused token, or none to be had (server in production mode)
  4  server unreachable
  5  bad input: the server refused an argument or event (publish: some item failed), or it is not JSON
`;
