import { buildApp } from './app.js';
import { loadConfigOrExit } from './config.js';
import { guardProcess, openLogger } from './logger.js';

const config = loadConfigOrExit();
const logger = await openLogger(config.logLevel, config.logFormat);
guardProcess(logger);
try {
  const app = await buildApp(config, logger);
  const url = await app.start();
  if (app.devTokens) {
    logger.info('JWT_SECRET is not set: made a secret for this run. Development tokens (send as "Authorization: Bearer <token>"):');
    // One line per role, so a token is copied from the terminal whole.
    for (const [role, token] of Object.entries(app.devTokens)) logger.info(`${role.padEnd(9)} ${token}`);
  }
  logger.info(`GraphiQL: ${url}/graphql   dashboard: ${url}/`);
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error('shutdown took too long: exiting anyway');
      process.exit(1);
    }, config.server.shutdownTimeoutMs).unref();
    app.stop().then(
      () => {
        clearTimeout(forced);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
