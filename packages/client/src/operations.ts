import { graphql } from './gql/index.js';

/**
 * The operations the client runs for its typed streams, snapshots and publishing (codegen turns
 * each into a TypedDocumentNode in ./gql). Every subscription declares `$after` and selects
 * `cursor`: that is what resume by cursor needs.
 */

export const PricesDocument = graphql(`
  subscription TitanPrices($symbols: [String!]!, $after: Cursor, $maxRate: Float) {
    price(symbols: $symbols, after: $after, maxRate: $maxRate) { id symbol price bid ask volume timestamp cursor }
  }
`);

export const SignalsDocument = graphql(`
  subscription TitanSignals($strategyIds: [ID!], $symbols: [String!], $after: Cursor) {
    signal(strategyIds: $strategyIds, symbols: $symbols, after: $after) {
      id strategyId symbol side price confidence reason timestamp cursor
    }
  }
`);

export const BacktestProgressDocument = graphql(`
  subscription TitanBacktestProgress($id: ID!, $after: Cursor) {
    backtestProgress(id: $id, after: $after) {
      backtestId status progress processedBars totalBars equity message timestamp cursor
      result { totalReturn maxDrawdown trades winRate sharpe }
    }
  }
`);

export const PriceSnapshotDocument = graphql(`
  query TitanPriceSnapshot($symbols: [String!]) {
    priceSnapshot(symbols: $symbols) { cursor ticks { id symbol price bid ask volume timestamp cursor } }
  }
`);

export const SignalSnapshotDocument = graphql(`
  query TitanSignalSnapshot($strategyId: ID, $symbol: String, $last: Int) {
    signalSnapshot(strategyId: $strategyId, symbol: $symbol, last: $last) {
      cursor
      signals { id strategyId symbol side price confidence reason timestamp cursor }
    }
  }
`);

export const PublishPriceDocument = graphql(`
  mutation TitanPublishPrice($input: PriceInput!) {
    publishPrice(input: $input) { id symbol price bid ask volume timestamp cursor }
  }
`);

export const PublishSignalDocument = graphql(`
  mutation TitanPublishSignal($input: SignalInput!) {
    publishSignal(input: $input) { id strategyId symbol side price confidence reason timestamp cursor }
  }
`);

/** The batch publishes answer per input: its index, and the event's id and cursor or why it failed. */
export const PublishPricesDocument = graphql(`
  mutation TitanPublishPrices($inputs: [PriceInput!]!) {
    publishPrices(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }
  }
`);

export const PublishSignalsDocument = graphql(`
  mutation TitanPublishSignals($inputs: [SignalInput!]!) {
    publishSignals(inputs: $inputs) { published failed items { index id cursor duplicate error { code message } } }
  }
`);
