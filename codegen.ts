import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Two targets from the one contract, `schema.graphql`:
 * - server resolver types, typed against our GraphQL context;
 * - the dashboard's typed documents (`graphql()` + TypedDocumentNode) for urql hooks;
 * - the client package's typed documents (its streams, snapshots and publishing).
 * Generated files are committed and never edited by hand; `npm run check:codegen` fails when stale.
 */
/** The client preset as both clients use it: TypedDocumentNode, string scalars, no fragment masking. */
function clientTarget(documents: string[]) {
  return {
    preset: 'client' as const,
    documents,
    config: {
      useTypeImports: true,
      enumsAsTypes: true,
      scalars: {
        DateTime: 'string',
        Cursor: 'string',
      },
    },
    presetConfig: {
      fragmentMasking: false,
    },
  };
}

const config: CodegenConfig = {
  schema: 'schema.graphql',
  emitLegacyCommonJSImports: false,
  generates: {
    'src/schema/__generated__/resolvers-types.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useIndexSignature: true,
        useTypeImports: true,
        enumsAsTypes: true,
        contextType: '../context.js#GraphQLContext',
        mappers: {
          Backtest: '../mappers.js#BacktestModel',
          Strategy: '../mappers.js#StrategyModel',
        },
        scalars: {
          DateTime: 'string',
          Cursor: 'string',
        },
      },
    },
    'client/src/gql/': clientTarget(['client/src/**/*.{ts,tsx}', '!client/src/gql/**/*']),
    'packages/client/src/gql/': clientTarget(['packages/client/src/**/*.ts', '!packages/client/src/gql/**/*']),
  },
};

export default config;
