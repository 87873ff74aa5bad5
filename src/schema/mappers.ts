/** Domain types that back schema types (codegen `mappers`): resolvers return these as they are. */
export type { BacktestRecord as BacktestModel } from '../domain/backtest.js';
export type { StrategyDefinition as StrategyModel } from '../domain/strategies.js';
