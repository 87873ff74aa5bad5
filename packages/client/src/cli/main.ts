import { parseCommandLine } from './args.js';
import { publish } from './commands/publish.js';
import { snapshot } from './commands/snapshot.js';
import { subscribe } from './commands/subscribe.js';
import { token } from './commands/token.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { HELP, warn } from './output.js';

/** `titan`: runs one command and exits with its code (see {@link ExitCode}); `bin/titan.js` calls this. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  let code: ExitCode = ExitCode.ok;
  try {
    const { command, options } = parseCommandLine(argv, process.env);
    switch (command.name) {
      case 'help':
        process.stdout.write(HELP);
        break;
      case 'subscribe':
        await subscribe(command, options);
        break;
      case 'snapshot':
        await snapshot(command, options);
        break;
      case 'publish':
        await publish(command, options);
        break;
      case 'token':
        await token(options);
        break;
    }
  } catch (error) {
    code = exitCodeOf(error);
    warn((error as Error).message);
  }
  // Exit now: a closed client may still hold a socket in its closing handshake for a while.
  process.exit(code);
}
