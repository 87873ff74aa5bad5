import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Two targets from the one contract, `schema.graphql`:
 * - server resolver types, typed against our GraphQL context;
 * - the client's typed documents (`graphql()` + TypedDocumentNode) for urql hooks.
 * Generated files are committed and never edited by hand; `npm run check:codegen` fails when stale.
 */
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
    'client/src/gql/': {
      preset: 'client',
      documents: ['client/src/**/*.{ts,tsx}', '!client/src/gql/**/*'],
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
    },
  },
};

export default config;
