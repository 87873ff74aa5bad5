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
    "\n  mutation StartBacktest($input: StartBacktestInput!) {\n    startBacktest(input: $input) {\n      ...BacktestCard\n    }\n  }\n": typeof types.StartBacktestDocument,
    "\n  fragment BacktestResultFields on BacktestResult {\n    totalReturn\n    maxDrawdown\n    trades\n    winRate\n    sharpe\n    equityCurve\n  }\n": typeof types.BacktestResultFieldsFragmentDoc,
    "\n  fragment BacktestCard on Backtest {\n    id\n    strategyId\n    symbol\n    status\n    progress\n    totalBars\n    message\n    createdAt\n    cursor\n    result {\n      ...BacktestResultFields\n    }\n  }\n": typeof types.BacktestCardFragmentDoc,
    "\n  subscription BacktestProgressUpdates($id: ID!, $after: Cursor) {\n    backtestProgress(id: $id, after: $after) {\n      backtestId\n      status\n      progress\n      processedBars\n      totalBars\n      equity\n      message\n      timestamp\n      cursor\n      result {\n        ...BacktestResultFields\n      }\n    }\n  }\n": typeof types.BacktestProgressUpdatesDocument,
    "\n  mutation CancelBacktest($id: ID!) {\n    cancelBacktest(id: $id) {\n      ...BacktestCard\n    }\n  }\n": typeof types.CancelBacktestDocument,
    "\n  query BacktestList {\n    backtests {\n      ...BacktestCard\n    }\n  }\n": typeof types.BacktestListDocument,
    "\n  fragment CandleBar on Candle {\n    openTime\n    open\n    high\n    low\n    close\n    volume\n    ticks\n    closed\n    cursor\n  }\n": typeof types.CandleBarFragmentDoc,
    "\n  query CandleChartHistory($symbol: String!, $interval: CandleInterval!, $last: Int) {\n    candleHistory(symbol: $symbol, interval: $interval, last: $last) {\n      candles {\n        ...CandleBar\n      }\n      cursor\n    }\n  }\n": typeof types.CandleChartHistoryDocument,
    "\n  subscription CandleChartLive($symbol: String!, $interval: CandleInterval!, $after: Cursor, $maxRate: Float) {\n    candles(symbol: $symbol, interval: $interval, after: $after, maxRate: $maxRate) {\n      cursor\n      ...CandleBar\n    }\n  }\n": typeof types.CandleChartLiveDocument,
    "\n  fragment PriceRow on PriceTick {\n    symbol\n    price\n    bid\n    ask\n    timestamp\n    cursor\n  }\n": typeof types.PriceRowFragmentDoc,
    "\n  query PriceBoardSnapshot {\n    priceSnapshot {\n      ticks {\n        ...PriceRow\n      }\n      cursor\n    }\n  }\n": typeof types.PriceBoardSnapshotDocument,
    "\n  subscription PriceBoardTicks($symbols: [String!]!, $after: Cursor, $maxRate: Float) {\n    price(symbols: $symbols, after: $after, maxRate: $maxRate) {\n      cursor\n      ...PriceRow\n    }\n  }\n": typeof types.PriceBoardTicksDocument,
    "\n  fragment SignalRow on Signal {\n    id\n    strategyId\n    symbol\n    side\n    price\n    confidence\n    reason\n    timestamp\n    cursor\n  }\n": typeof types.SignalRowFragmentDoc,
    "\n  query SignalsSnapshot($strategyId: ID, $symbol: String, $last: Int) {\n    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {\n      signals {\n        ...SignalRow\n      }\n      cursor\n    }\n  }\n": typeof types.SignalsSnapshotDocument,
    "\n  subscription SignalsLive($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {\n    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {\n      cursor\n      ...SignalRow\n    }\n  }\n": typeof types.SignalsLiveDocument,
    "\n  fragment StrategyStatsRow on StrategyStats {\n    strategyId\n    signals\n    buys\n    sells\n    since\n    positions {\n      symbol\n      side\n      quantity\n      entryPrice\n      markPrice\n      unrealisedPnl\n    }\n    realisedPnl\n    unrealisedPnl\n    totalPnl\n    roundTrips\n    winningRoundTrips\n    hitRate\n    cursor\n  }\n": typeof types.StrategyStatsRowFragmentDoc,
    "\n  query StrategyStatsSnapshot {\n    strategyStats {\n      ...StrategyStatsRow\n    }\n  }\n": typeof types.StrategyStatsSnapshotDocument,
    "\n  subscription StrategyStatsLive {\n    strategyStats {\n      ...StrategyStatsRow\n    }\n  }\n": typeof types.StrategyStatsLiveDocument,
    "\n  query DashboardChoices {\n    strategies {\n      id\n      name\n      description\n    }\n    symbols\n  }\n": typeof types.DashboardChoicesDocument,
};
const documents: Documents = {
    "\n  mutation StartBacktest($input: StartBacktestInput!) {\n    startBacktest(input: $input) {\n      ...BacktestCard\n    }\n  }\n": types.StartBacktestDocument,
    "\n  fragment BacktestResultFields on BacktestResult {\n    totalReturn\n    maxDrawdown\n    trades\n    winRate\n    sharpe\n    equityCurve\n  }\n": types.BacktestResultFieldsFragmentDoc,
    "\n  fragment BacktestCard on Backtest {\n    id\n    strategyId\n    symbol\n    status\n    progress\n    totalBars\n    message\n    createdAt\n    cursor\n    result {\n      ...BacktestResultFields\n    }\n  }\n": types.BacktestCardFragmentDoc,
    "\n  subscription BacktestProgressUpdates($id: ID!, $after: Cursor) {\n    backtestProgress(id: $id, after: $after) {\n      backtestId\n      status\n      progress\n      processedBars\n      totalBars\n      equity\n      message\n      timestamp\n      cursor\n      result {\n        ...BacktestResultFields\n      }\n    }\n  }\n": types.BacktestProgressUpdatesDocument,
    "\n  mutation CancelBacktest($id: ID!) {\n    cancelBacktest(id: $id) {\n      ...BacktestCard\n    }\n  }\n": types.CancelBacktestDocument,
    "\n  query BacktestList {\n    backtests {\n      ...BacktestCard\n    }\n  }\n": types.BacktestListDocument,
    "\n  fragment CandleBar on Candle {\n    openTime\n    open\n    high\n    low\n    close\n    volume\n    ticks\n    closed\n    cursor\n  }\n": types.CandleBarFragmentDoc,
    "\n  query CandleChartHistory($symbol: String!, $interval: CandleInterval!, $last: Int) {\n    candleHistory(symbol: $symbol, interval: $interval, last: $last) {\n      candles {\n        ...CandleBar\n      }\n      cursor\n    }\n  }\n": types.CandleChartHistoryDocument,
    "\n  subscription CandleChartLive($symbol: String!, $interval: CandleInterval!, $after: Cursor, $maxRate: Float) {\n    candles(symbol: $symbol, interval: $interval, after: $after, maxRate: $maxRate) {\n      cursor\n      ...CandleBar\n    }\n  }\n": types.CandleChartLiveDocument,
    "\n  fragment PriceRow on PriceTick {\n    symbol\n    price\n    bid\n    ask\n    timestamp\n    cursor\n  }\n": types.PriceRowFragmentDoc,
    "\n  query PriceBoardSnapshot {\n    priceSnapshot {\n      ticks {\n        ...PriceRow\n      }\n      cursor\n    }\n  }\n": types.PriceBoardSnapshotDocument,
    "\n  subscription PriceBoardTicks($symbols: [String!]!, $after: Cursor, $maxRate: Float) {\n    price(symbols: $symbols, after: $after, maxRate: $maxRate) {\n      cursor\n      ...PriceRow\n    }\n  }\n": types.PriceBoardTicksDocument,
    "\n  fragment SignalRow on Signal {\n    id\n    strategyId\n    symbol\n    side\n    price\n    confidence\n    reason\n    timestamp\n    cursor\n  }\n": types.SignalRowFragmentDoc,
    "\n  query SignalsSnapshot($strategyId: ID, $symbol: String, $last: Int) {\n    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {\n      signals {\n        ...SignalRow\n      }\n      cursor\n    }\n  }\n": types.SignalsSnapshotDocument,
    "\n  subscription SignalsLive($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {\n    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {\n      cursor\n      ...SignalRow\n    }\n  }\n": types.SignalsLiveDocument,
    "\n  fragment StrategyStatsRow on StrategyStats {\n    strategyId\n    signals\n    buys\n    sells\n    since\n    positions {\n      symbol\n      side\n      quantity\n      entryPrice\n      markPrice\n      unrealisedPnl\n    }\n    realisedPnl\n    unrealisedPnl\n    totalPnl\n    roundTrips\n    winningRoundTrips\n    hitRate\n    cursor\n  }\n": types.StrategyStatsRowFragmentDoc,
    "\n  query StrategyStatsSnapshot {\n    strategyStats {\n      ...StrategyStatsRow\n    }\n  }\n": types.StrategyStatsSnapshotDocument,
    "\n  subscription StrategyStatsLive {\n    strategyStats {\n      ...StrategyStatsRow\n    }\n  }\n": types.StrategyStatsLiveDocument,
    "\n  query DashboardChoices {\n    strategies {\n      id\n      name\n      description\n    }\n    symbols\n  }\n": types.DashboardChoicesDocument,
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
export function graphql(source: "\n  mutation StartBacktest($input: StartBacktestInput!) {\n    startBacktest(input: $input) {\n      ...BacktestCard\n    }\n  }\n"): (typeof documents)["\n  mutation StartBacktest($input: StartBacktestInput!) {\n    startBacktest(input: $input) {\n      ...BacktestCard\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment BacktestResultFields on BacktestResult {\n    totalReturn\n    maxDrawdown\n    trades\n    winRate\n    sharpe\n    equityCurve\n  }\n"): (typeof documents)["\n  fragment BacktestResultFields on BacktestResult {\n    totalReturn\n    maxDrawdown\n    trades\n    winRate\n    sharpe\n    equityCurve\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment BacktestCard on Backtest {\n    id\n    strategyId\n    symbol\n    status\n    progress\n    totalBars\n    message\n    createdAt\n    cursor\n    result {\n      ...BacktestResultFields\n    }\n  }\n"): (typeof documents)["\n  fragment BacktestCard on Backtest {\n    id\n    strategyId\n    symbol\n    status\n    progress\n    totalBars\n    message\n    createdAt\n    cursor\n    result {\n      ...BacktestResultFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription BacktestProgressUpdates($id: ID!, $after: Cursor) {\n    backtestProgress(id: $id, after: $after) {\n      backtestId\n      status\n      progress\n      processedBars\n      totalBars\n      equity\n      message\n      timestamp\n      cursor\n      result {\n        ...BacktestResultFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription BacktestProgressUpdates($id: ID!, $after: Cursor) {\n    backtestProgress(id: $id, after: $after) {\n      backtestId\n      status\n      progress\n      processedBars\n      totalBars\n      equity\n      message\n      timestamp\n      cursor\n      result {\n        ...BacktestResultFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelBacktest($id: ID!) {\n    cancelBacktest(id: $id) {\n      ...BacktestCard\n    }\n  }\n"): (typeof documents)["\n  mutation CancelBacktest($id: ID!) {\n    cancelBacktest(id: $id) {\n      ...BacktestCard\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query BacktestList {\n    backtests {\n      ...BacktestCard\n    }\n  }\n"): (typeof documents)["\n  query BacktestList {\n    backtests {\n      ...BacktestCard\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CandleBar on Candle {\n    openTime\n    open\n    high\n    low\n    close\n    volume\n    ticks\n    closed\n    cursor\n  }\n"): (typeof documents)["\n  fragment CandleBar on Candle {\n    openTime\n    open\n    high\n    low\n    close\n    volume\n    ticks\n    closed\n    cursor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CandleChartHistory($symbol: String!, $interval: CandleInterval!, $last: Int) {\n    candleHistory(symbol: $symbol, interval: $interval, last: $last) {\n      candles {\n        ...CandleBar\n      }\n      cursor\n    }\n  }\n"): (typeof documents)["\n  query CandleChartHistory($symbol: String!, $interval: CandleInterval!, $last: Int) {\n    candleHistory(symbol: $symbol, interval: $interval, last: $last) {\n      candles {\n        ...CandleBar\n      }\n      cursor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CandleChartLive($symbol: String!, $interval: CandleInterval!, $after: Cursor, $maxRate: Float) {\n    candles(symbol: $symbol, interval: $interval, after: $after, maxRate: $maxRate) {\n      cursor\n      ...CandleBar\n    }\n  }\n"): (typeof documents)["\n  subscription CandleChartLive($symbol: String!, $interval: CandleInterval!, $after: Cursor, $maxRate: Float) {\n    candles(symbol: $symbol, interval: $interval, after: $after, maxRate: $maxRate) {\n      cursor\n      ...CandleBar\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PriceRow on PriceTick {\n    symbol\n    price\n    bid\n    ask\n    timestamp\n    cursor\n  }\n"): (typeof documents)["\n  fragment PriceRow on PriceTick {\n    symbol\n    price\n    bid\n    ask\n    timestamp\n    cursor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PriceBoardSnapshot {\n    priceSnapshot {\n      ticks {\n        ...PriceRow\n      }\n      cursor\n    }\n  }\n"): (typeof documents)["\n  query PriceBoardSnapshot {\n    priceSnapshot {\n      ticks {\n        ...PriceRow\n      }\n      cursor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PriceBoardTicks($symbols: [String!]!, $after: Cursor, $maxRate: Float) {\n    price(symbols: $symbols, after: $after, maxRate: $maxRate) {\n      cursor\n      ...PriceRow\n    }\n  }\n"): (typeof documents)["\n  subscription PriceBoardTicks($symbols: [String!]!, $after: Cursor, $maxRate: Float) {\n    price(symbols: $symbols, after: $after, maxRate: $maxRate) {\n      cursor\n      ...PriceRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SignalRow on Signal {\n    id\n    strategyId\n    symbol\n    side\n    price\n    confidence\n    reason\n    timestamp\n    cursor\n  }\n"): (typeof documents)["\n  fragment SignalRow on Signal {\n    id\n    strategyId\n    symbol\n    side\n    price\n    confidence\n    reason\n    timestamp\n    cursor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SignalsSnapshot($strategyId: ID, $symbol: String, $last: Int) {\n    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {\n      signals {\n        ...SignalRow\n      }\n      cursor\n    }\n  }\n"): (typeof documents)["\n  query SignalsSnapshot($strategyId: ID, $symbol: String, $last: Int) {\n    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {\n      signals {\n        ...SignalRow\n      }\n      cursor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SignalsLive($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {\n    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {\n      cursor\n      ...SignalRow\n    }\n  }\n"): (typeof documents)["\n  subscription SignalsLive($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {\n    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {\n      cursor\n      ...SignalRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment StrategyStatsRow on StrategyStats {\n    strategyId\n    signals\n    buys\n    sells\n    since\n    positions {\n      symbol\n      side\n      quantity\n      entryPrice\n      markPrice\n      unrealisedPnl\n    }\n    realisedPnl\n    unrealisedPnl\n    totalPnl\n    roundTrips\n    winningRoundTrips\n    hitRate\n    cursor\n  }\n"): (typeof documents)["\n  fragment StrategyStatsRow on StrategyStats {\n    strategyId\n    signals\n    buys\n    sells\n    since\n    positions {\n      symbol\n      side\n      quantity\n      entryPrice\n      markPrice\n      unrealisedPnl\n    }\n    realisedPnl\n    unrealisedPnl\n    totalPnl\n    roundTrips\n    winningRoundTrips\n    hitRate\n    cursor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query StrategyStatsSnapshot {\n    strategyStats {\n      ...StrategyStatsRow\n    }\n  }\n"): (typeof documents)["\n  query StrategyStatsSnapshot {\n    strategyStats {\n      ...StrategyStatsRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription StrategyStatsLive {\n    strategyStats {\n      ...StrategyStatsRow\n    }\n  }\n"): (typeof documents)["\n  subscription StrategyStatsLive {\n    strategyStats {\n      ...StrategyStatsRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DashboardChoices {\n    strategies {\n      id\n      name\n      description\n    }\n    symbols\n  }\n"): (typeof documents)["\n  query DashboardChoices {\n    strategies {\n      id\n      name\n      description\n    }\n    symbols\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;