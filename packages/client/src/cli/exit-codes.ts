import { TitanError } from '../errors.js';

/**
 * The CLI's exit codes: one per kind of failure a script can act on (fix the command line, get
 * another token, wait for the server, fix the data), documented in `--help` and the README.
 */
export const ExitCode = {
  ok: 0,
  /** Anything else: a server error, a connection closed for good. */
  failure: 1,
  usage: 2,
  /** The token is malformed, expired, refused, lacks the role, or there is none to be had. */
  token: 3,
  unreachable: 4,
  badInput: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure with the message for stderr and the exit code it ends the process with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** The exit code of a failure: the CLI's own, or the one a server's error code falls under. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (!(error instanceof TitanError)) return ExitCode.failure;
  switch (error.code) {
    case 'UNAUTHENTICATED':
    case 'FORBIDDEN':
      return ExitCode.token;
    case 'NETWORK_ERROR':
      return ExitCode.unreachable;
    case 'BAD_USER_INPUT':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'BAD_CURSOR':
    case 'NOT_FOUND': // a backtest id that is not there (or not the caller's) is an argument to fix
      return ExitCode.badInput;
    default:
      return ExitCode.failure;
  }
}
