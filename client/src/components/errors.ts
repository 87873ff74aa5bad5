import type { CombinedError } from 'urql';

/** The `extensions.code` of the first GraphQL error that has one (see schema.graphql for the list). */
export function errorCode(error: CombinedError | undefined): string | undefined {
  for (const graphQLError of error?.graphQLErrors ?? []) {
    const code = graphQLError.extensions?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The server's own message when there is one, without urql's `[GraphQL]` / `[Network]` prefix. */
export function errorMessage(error: CombinedError): string {
  return error.graphQLErrors[0]?.message ?? error.networkError?.message ?? error.message;
}

/**
 * The events after our cursor are gone (trimmed history, or a server that lost it): the screen has to
 * start again from a fresh snapshot (README, "Delivery guarantees").
 */
export function isCursorExpired(error: CombinedError | undefined): boolean {
  return errorCode(error) === 'CURSOR_EXPIRED';
}

/** The server has analytics (or another optional feature) switched off: retrying does not help. */
export function isFeatureDisabled(error: CombinedError | undefined): boolean {
  return errorCode(error) === 'FEATURE_DISABLED';
}
