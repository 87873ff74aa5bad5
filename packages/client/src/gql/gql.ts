/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  subscription TitanPrices($symbols: [String!]!, $after: Cursor, $maxRate: Float) {\n    price(symbols: $symbols, after: $after, maxRate: $maxRate) { id symbol price bid ask volume timestamp cursor }\n  }\n": typeof types.TitanPricesDocument,
    "\n  subscription TitanSignals($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {\n    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {\n      id strategyId symbol side price confidence reason timestamp cursor\n    }\n  }\n": typeof types.TitanSignalsDocument,
    "\n  subscription TitanBacktestProgress($id: ID!, $after: Cursor) {\n    backtestProgress(id: $id, after: $after) {\n      backtestId status progress processedBars totalBars equity message timestamp cursor\n      result { totalReturn maxDrawdown trades winRate sharpe }\n    }\n  }\n": typeof types.TitanBacktestProgressDocument,
    "\n  query TitanPriceSnapshot($symbols: [String!]) {\n    priceSnapshot(symbols: $symbols) { cursor ticks { id symbol price bid ask volume timestamp cursor } }\n  }\n": typeof types.TitanPriceSnapshotDocument,
    "\n  query TitanSignalSnapshot($strategyId: ID, $symbol: String, $last: Int) {\n    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {\n      cursor\n      signals { id strategyId symbol side price confidence reason timestamp cursor }\n    }\n  }\n": typeof types.TitanSignalSnapshotDocument,
    "\n  mutation TitanPublishPrice($input: PriceInput!) {\n    publishPrice(input: $input) { id symbol price bid ask volume timestamp cursor }\n  }\n": typeof types.TitanPublishPriceDocument,
    "\n  mutation TitanPublishSignal($input: SignalInput!) {\n    publishSignal(input: $input) { id strategyId symbol side price confidence reason timestamp cursor }\n  }\n": typeof types.TitanPublishSignalDocument,
    "\n  mutation TitanPublishPrices($inputs: [PriceInput!]!) {\n    publishPrices(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }\n  }\n": typeof types.TitanPublishPricesDocument,
    "\n  mutation TitanPublishSignals($inputs: [SignalInput!]!) {\n    publishSignals(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }\n  }\n": typeof types.TitanPublishSignalsDocument,
};
const documents: Documents = {
    "\n  subscription TitanPrices($symbols: [String!]!, $after: Cursor, $maxRate: Float) {\n    price(symbols: $symbols, after: $after, maxRate: $maxRate) { id symbol price bid ask volume timestamp cursor }\n  }\n": types.TitanPricesDocument,
    "\n  subscription TitanSignals($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {\n    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {\n      id strategyId symbol side price confidence reason timestamp cursor\n    }\n  }\n": types.TitanSignalsDocument,
    "\n  subscription TitanBacktestProgress($id: ID!, $after: Cursor) {\n    backtestProgress(id: $id, after: $after) {\n      backtestId status progress processedBars totalBars equity message timestamp cursor\n      result { totalReturn maxDrawdown trades winRate sharpe }\n    }\n  }\n": types.TitanBacktestProgressDocument,
    "\n  query TitanPriceSnapshot($symbols: [String!]) {\n    priceSnapshot(symbols: $symbols) { cursor ticks { id symbol price bid ask volume timestamp cursor } }\n  }\n": types.TitanPriceSnapshotDocument,
    "\n  query TitanSignalSnapshot($strategyId: ID, $symbol: String, $last: Int) {\n    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {\n      cursor\n      signals { id strategyId symbol side price confidence reason timestamp cursor }\n    }\n  }\n": types.TitanSignalSnapshotDocument,
    "\n  mutation TitanPublishPrice($input: PriceInput!) {\n    publishPrice(input: $input) { id symbol price bid ask volume timestamp cursor }\n  }\n": types.TitanPublishPriceDocument,
    "\n  mutation TitanPublishSignal($input: SignalInput!) {\n    publishSignal(input: $input) { id strategyId symbol side price confidence reason timestamp cursor }\n  }\n": types.TitanPublishSignalDocument,
    "\n  mutation TitanPublishPrices($inputs: [PriceInput!]!) {\n    publishPrices(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }\n  }\n": types.TitanPublishPricesDocument,
    "\n  mutation TitanPublishSignals($inputs: [SignalInput!]!) {\n    publishSignals(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }\n  }\n": types.TitanPublishSignalsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TitanPrices($symbols: [String!]!, $after: Cursor, $maxRate: Float) {\n    price(symbols: $symbols, after: $after, maxRate: $maxRate) { id symbol price bid ask volume timestamp cursor }\n  }\n"): (typeof documents)["\n  subscription TitanPrices($symbols: [String!]!, $after: Cursor, $maxRate: Float) {\n    price(symbols: $symbols, after: $after, maxRate: $maxRate) { id symbol price bid ask volume timestamp cursor }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TitanSignals($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {\n    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {\n      id strategyId symbol side price confidence reason timestamp cursor\n    }\n  }\n"): (typeof documents)["\n  subscription TitanSignals($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {\n    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {\n      id strategyId symbol side price confidence reason timestamp cursor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TitanBacktestProgress($id: ID!, $after: Cursor) {\n    backtestProgress(id: $id, after: $after) {\n      backtestId status progress processedBars totalBars equity message timestamp cursor\n      result { totalReturn maxDrawdown trades winRate sharpe }\n    }\n  }\n"): (typeof documents)["\n  subscription TitanBacktestProgress($id: ID!, $after: Cursor) {\n    backtestProgress(id: $id, after: $after) {\n      backtestId status progress processedBars totalBars equity message timestamp cursor\n      result { totalReturn maxDrawdown trades winRate sharpe }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TitanPriceSnapshot($symbols: [String!]) {\n    priceSnapshot(symbols: $symbols) { cursor ticks { id symbol price bid ask volume timestamp cursor } }\n  }\n"): (typeof documents)["\n  query TitanPriceSnapshot($symbols: [String!]) {\n    priceSnapshot(symbols: $symbols) { cursor ticks { id symbol price bid ask volume timestamp cursor } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TitanSignalSnapshot($strategyId: ID, $symbol: String, $last: Int) {\n    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {\n      cursor\n      signals { id strategyId symbol side price confidence reason timestamp cursor }\n    }\n  }\n"): (typeof documents)["\n  query TitanSignalSnapshot($strategyId: ID, $symbol: String, $last: Int) {\n    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {\n      cursor\n      signals { id strategyId symbol side price confidence reason timestamp cursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TitanPublishPrice($input: PriceInput!) {\n    publishPrice(input: $input) { id symbol price bid ask volume timestamp cursor }\n  }\n"): (typeof documents)["\n  mutation TitanPublishPrice($input: PriceInput!) {\n    publishPrice(input: $input) { id symbol price bid ask volume timestamp cursor }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TitanPublishSignal($input: SignalInput!) {\n    publishSignal(input: $input) { id strategyId symbol side price confidence reason timestamp cursor }\n  }\n"): (typeof documents)["\n  mutation TitanPublishSignal($input: SignalInput!) {\n    publishSignal(input: $input) { id strategyId symbol side price confidence reason timestamp cursor }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TitanPublishPrices($inputs: [PriceInput!]!) {\n    publishPrices(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }\n  }\n"): (typeof documents)["\n  mutation TitanPublishPrices($inputs: [PriceInput!]!) {\n    publishPrices(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TitanPublishSignals($inputs: [SignalInput!]!) {\n    publishSignals(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }\n  }\n"): (typeof documents)["\n  mutation TitanPublishSignals($inputs: [SignalInput!]!) {\n    publishSignals(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;