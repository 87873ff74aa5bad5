import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { BacktestModel, StrategyModel } from '../mappers.js';
import type { GraphQLContext } from '../context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** Opaque resume token. Pass the last cursor you received as `after` to resume a subscription. */
  Cursor: { input: string; output: string; }
  /** An ISO-8601 date-time in UTC, e.g. `2026-11-26T16:30:00.000Z`. */
  DateTime: { input: string; output: string; }
};

export type Backtest = {
  __typename?: 'Backtest';
  createdAt: Scalars['DateTime']['output'];
  /** Position of the progress event this state reflects: subscribe `backtestProgress(id:, after: cursor)` to follow on from it. */
  cursor?: Maybe<Scalars['Cursor']['output']>;
  id: Scalars['ID']['output'];
  /** Why the run failed or was cancelled. */
  message?: Maybe<Scalars['String']['output']>;
  /** From 0 to 1. */
  progress: Scalars['Float']['output'];
  result?: Maybe<BacktestResult>;
  status: BacktestStatus;
  strategyId: Scalars['ID']['output'];
  symbol: Scalars['String']['output'];
  /** Number of bars the run simulates. */
  totalBars: Scalars['Int']['output'];
};

/** A progress update of a running backtest; the last one of a run has a terminal status. */
export type BacktestProgress = {
  __typename?: 'BacktestProgress';
  backtestId: Scalars['ID']['output'];
  cursor: Scalars['Cursor']['output'];
  /** Equity of the simulated account so far, starting from 1.0. */
  equity?: Maybe<Scalars['Float']['output']>;
  message?: Maybe<Scalars['String']['output']>;
  processedBars: Scalars['Int']['output'];
  /** From 0 to 1. */
  progress: Scalars['Float']['output'];
  /** The result, on the COMPLETED event only. */
  result?: Maybe<BacktestResult>;
  status: BacktestStatus;
  timestamp: Scalars['DateTime']['output'];
  totalBars: Scalars['Int']['output'];
};

export type BacktestResult = {
  __typename?: 'BacktestResult';
  /** Equity over the run, about 200 evenly spaced points starting at 1.0, for charts. */
  equityCurve: Array<Scalars['Float']['output']>;
  /** Largest peak-to-trough fall of equity as a fraction (0.08 is -8%). */
  maxDrawdown: Scalars['Float']['output'];
  /** Annualised Sharpe ratio of per-bar returns; null when returns have no variance. */
  sharpe?: Maybe<Scalars['Float']['output']>;
  /** Total return of the run as a fraction (0.12 is +12%). */
  totalReturn: Scalars['Float']['output'];
  trades: Scalars['Int']['output'];
  /** Share of closed trades that made money, from 0 to 1. */
  winRate: Scalars['Float']['output'];
};

export type BacktestStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'QUEUED'
  | 'RUNNING';

/**
 * One bar of a symbol's ticks: the ticks whose own `timestamp` lies in `[openTime, openTime + interval)`.
 * A bar closes when the first tick of a later bar arrives; an interval without ticks has no bar. A
 * tick older than the open bar's `openTime` (a late tick) changes no bar.
 */
export type Candle = {
  __typename?: 'Candle';
  /** Price of the bar's latest tick (in publish order). */
  close: Scalars['Float']['output'];
  /** True once a tick of a later bar arrived: the bar no longer changes. */
  closed: Scalars['Boolean']['output'];
  /**
   * Position of the price tick that produced this state (for a closed bar, the tick that closed it):
   * subscribe `candles(symbol:, interval:, after: cursor)` to follow on from it.
   */
  cursor: Scalars['Cursor']['output'];
  high: Scalars['Float']['output'];
  interval: CandleInterval;
  low: Scalars['Float']['output'];
  /** Price of the bar's first tick (in publish order). */
  open: Scalars['Float']['output'];
  /** Start of the bar (UTC boundary of the interval). */
  openTime: Scalars['DateTime']['output'];
  symbol: Scalars['String']['output'];
  /** Number of ticks in the bar. */
  ticks: Scalars['Int']['output'];
  /** Sum of the ticks' volumes. */
  volume: Scalars['Float']['output'];
};

/** The length of a candle (bar). Bars start on UTC boundaries of their interval. */
export type CandleInterval =
  | 'FIVE_MINUTES'
  | 'ONE_HOUR'
  | 'ONE_MINUTE'
  | 'ONE_SECOND';

/**
 * The most recent bars of a symbol, oldest first (the last one may be open), and the position to
 * subscribe `candles(after: cursor)` from.
 */
export type CandleSnapshot = {
  __typename?: 'CandleSnapshot';
  candles: Array<Candle>;
  cursor: Scalars['Cursor']['output'];
  interval: CandleInterval;
  symbol: Scalars['String']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Stops a queued or running backtest of the caller's (or any, for an admin). */
  cancelBacktest: Backtest;
  /** Publishes a price tick. Role `publisher` only. */
  publishPrice: PriceTick;
  /**
   * Publishes up to `PUBLISH_BATCH_MAX` ticks (1,000 by default; more is refused as a whole with
   * BAD_USER_INPUT), in order, as `publishPrice` would one by one. An invalid item fails alone (its
   * result's `error`), the others are published. Each item counts against the publisher's rate
   * (`RATE_LIMITED`: nothing was published). `UNAVAILABLE`: some items may have been stored; retry
   * the batch with the same ids and each is stored and delivered exactly once. Role `publisher` only.
   */
  publishPrices: PublishBatchResult;
  /** Publishes a signal of a known strategy. Role `publisher` only. */
  publishSignal: Signal;
  /** As `publishPrices`, for signals of known strategies. Role `publisher` only. */
  publishSignals: PublishBatchResult;
  /**
   * Replaces the token of this WebSocket connection without dropping its subscriptions: they go on
   * under the new token and are re-authorized with it (a backtest no longer visible ends with
   * FORBIDDEN; signals of strategies no longer entitled stop). The new token must have the same
   * subject. Over HTTP, send the new token with each request instead (this mutation answers
   * BAD_USER_INPUT there). Send it before the old token expires: at expiry the server closes the
   * connection with 4401.
   */
  renewToken: TokenRenewal;
  /** Runs a strategy over a deterministic historical bar series; follow it with `backtestProgress`. */
  startBacktest: Backtest;
};


export type MutationCancelBacktestArgs = {
  id: Scalars['ID']['input'];
};


export type MutationPublishPriceArgs = {
  input: PriceInput;
};


export type MutationPublishPricesArgs = {
  inputs: Array<PriceInput>;
};


export type MutationPublishSignalArgs = {
  input: SignalInput;
};


export type MutationPublishSignalsArgs = {
  inputs: Array<SignalInput>;
};


export type MutationRenewTokenArgs = {
  token: Scalars['String']['input'];
};


export type MutationStartBacktestArgs = {
  input: StartBacktestInput;
};

export type PriceInput = {
  /** Defaults to `price`. */
  ask?: InputMaybe<Scalars['Float']['input']>;
  /** Defaults to `price`. */
  bid?: InputMaybe<Scalars['Float']['input']>;
  /**
   * The publisher's id of this tick, 1 to 128 printable characters, unique per symbol: publishing the
   * same id again for the same symbol while the first tick is retained publishes nothing new and
   * answers the original tick and cursor. Give one, and retrying after any error is safe.
   */
  id?: InputMaybe<Scalars['ID']['input']>;
  price: Scalars['Float']['input'];
  symbol: Scalars['String']['input'];
  /** Defaults to the time the server receives the tick. */
  timestamp?: InputMaybe<Scalars['DateTime']['input']>;
  /** Defaults to 0. */
  volume?: InputMaybe<Scalars['Float']['input']>;
};

/**
 * A consistent starting point for a price screen: the latest tick of each symbol and the position
 * they were read at. Subscribe to `price(symbols:, after: cursor)` to receive exactly what was
 * published after this snapshot.
 */
export type PriceSnapshot = {
  __typename?: 'PriceSnapshot';
  cursor: Scalars['Cursor']['output'];
  ticks: Array<PriceTick>;
};

/** One quote of a symbol. `bid <= price <= ask` is not enforced, `bid <= ask` is. */
export type PriceTick = {
  __typename?: 'PriceTick';
  ask: Scalars['Float']['output'];
  bid: Scalars['Float']['output'];
  cursor: Scalars['Cursor']['output'];
  /** The publisher's id of this tick (`PriceInput.id`), if it gave one. */
  id?: Maybe<Scalars['ID']['output']>;
  price: Scalars['Float']['output'];
  symbol: Scalars['String']['output'];
  timestamp: Scalars['DateTime']['output'];
  volume: Scalars['Float']['output'];
};

/**
 * What a batch publish did: one result per input, in the order of the inputs. Only the cursor and id
 * of each event are returned, not the event: it is the input as validated (defaults applied).
 */
export type PublishBatchResult = {
  __typename?: 'PublishBatchResult';
  /** How many items failed (have an `error`). */
  failed: Scalars['Int']['output'];
  /** One per input, `items[i]` for `inputs[i]`. */
  items: Array<PublishItemResult>;
  /** How many items were published (or were already, by id). */
  published: Scalars['Int']['output'];
};

export type PublishErrorCode =
  /** The input failed validation; the message names the field. */
  | 'BAD_USER_INPUT';

/** Why one input of a batch was not published. */
export type PublishItemError = {
  __typename?: 'PublishItemError';
  code: PublishErrorCode;
  /** Names the item and the field, e.g. `inputs[3]: price must be a finite number above 0 ...`. */
  message: Scalars['String']['output'];
};

/** The outcome of one input of a batch: `cursor` when published, `error` when not. */
export type PublishItemResult = {
  __typename?: 'PublishItemResult';
  /** The event's position, as its subscribers receive it; the original's for a repeated id. */
  cursor?: Maybe<Scalars['Cursor']['output']>;
  /** True when the id was published before (in this batch or earlier): nothing new was published. */
  duplicate: Scalars['Boolean']['output'];
  /** Why the input was not published; null when it was. */
  error?: Maybe<PublishItemError>;
  /**
   * The event's id: for a tick, `PriceInput.id` if given; for a signal, `SignalInput.id` or the UUID
   * the server gave it.
   */
  id?: Maybe<Scalars['ID']['output']>;
  /** The input's place in `inputs`, from 0. */
  index: Scalars['Int']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** A backtest visible to the caller (its owner or an admin); null otherwise. */
  backtest?: Maybe<Backtest>;
  /** The caller's own backtests, newest first. */
  backtests: Array<Backtest>;
  /**
   * The most recent `last` bars of a symbol (1 to 10,000; the open bar counts), at most the
   * `CANDLE_HISTORY_BARS` an instance keeps (200 by default), and the cursor to subscribe
   * `candles(after:)` from. FEATURE_DISABLED when `ANALYTICS=off`.
   */
  candleHistory: CandleSnapshot;
  /** Latest ticks and the position to subscribe after, read atomically. All known symbols when `symbols` is omitted. */
  priceSnapshot: PriceSnapshot;
  /** Latest tick per symbol: the snapshot a screen starts from. All known symbols when `symbols` is omitted. */
  prices: Array<PriceTick>;
  /** Most recent signals and the position to subscribe after, read atomically. */
  signalSnapshot: SignalSnapshot;
  /** Most recent signals, newest first, optionally filtered. `last` is capped at 500. */
  signals: Array<Signal>;
  /** Strategies that signals and backtests can name. */
  strategies: Array<Strategy>;
  /**
   * Current figures of the given strategies (all the token is entitled to when omitted), in the order
   * asked. FORBIDDEN when it names a strategy the token is not entitled to. FEATURE_DISABLED when
   * `ANALYTICS=off`.
   */
  strategyStats: Array<StrategyStats>;
  /** Symbols with a live price: the configured feed's and any a publisher has published. */
  symbols: Array<Scalars['String']['output']>;
};


export type QueryBacktestArgs = {
  id: Scalars['ID']['input'];
};


export type QueryCandleHistoryArgs = {
  interval: CandleInterval;
  last?: InputMaybe<Scalars['Int']['input']>;
  symbol: Scalars['String']['input'];
};


export type QueryPriceSnapshotArgs = {
  symbols?: InputMaybe<Array<Scalars['String']['input']>>;
};


export type QueryPricesArgs = {
  symbols?: InputMaybe<Array<Scalars['String']['input']>>;
};


export type QuerySignalSnapshotArgs = {
  last?: InputMaybe<Scalars['Int']['input']>;
  strategyId?: InputMaybe<Scalars['ID']['input']>;
  symbol?: InputMaybe<Scalars['String']['input']>;
};


export type QuerySignalsArgs = {
  last?: InputMaybe<Scalars['Int']['input']>;
  strategyId?: InputMaybe<Scalars['ID']['input']>;
  symbol?: InputMaybe<Scalars['String']['input']>;
};


export type QueryStrategyStatsArgs = {
  strategyIds?: InputMaybe<Array<Scalars['ID']['input']>>;
};

export type Side =
  | 'BUY'
  | 'SELL';

/** A trading signal emitted by a strategy (the live signal engine or an external publisher). */
export type Signal = {
  __typename?: 'Signal';
  /** How sure the strategy is, from 0 to 1. */
  confidence: Scalars['Float']['output'];
  cursor: Scalars['Cursor']['output'];
  id: Scalars['ID']['output'];
  price: Scalars['Float']['output'];
  reason?: Maybe<Scalars['String']['output']>;
  side: Side;
  strategyId: Scalars['ID']['output'];
  symbol: Scalars['String']['output'];
  timestamp: Scalars['DateTime']['output'];
};

export type SignalInput = {
  confidence: Scalars['Float']['input'];
  /**
   * The signal's id, 1 to 128 printable characters, unique per strategy; a new UUID when omitted.
   * Publishing the same id again for the same strategy while the first signal is retained publishes
   * nothing new and answers the original signal and cursor. Give one, and retrying after any error is
   * safe.
   */
  id?: InputMaybe<Scalars['ID']['input']>;
  price: Scalars['Float']['input'];
  reason?: InputMaybe<Scalars['String']['input']>;
  side: Side;
  strategyId: Scalars['ID']['input'];
  symbol: Scalars['String']['input'];
};

/**
 * A consistent starting point for a signals screen: the most recent signals (newest first) and the
 * position they were read at; subscribe to `signal(after: cursor)` with the same filters.
 */
export type SignalSnapshot = {
  __typename?: 'SignalSnapshot';
  cursor: Scalars['Cursor']['output'];
  signals: Array<Signal>;
};

export type StartBacktestInput = {
  /** Number of historical bars to simulate, 100 to 1,000,000. Default 50,000. */
  bars?: InputMaybe<Scalars['Int']['input']>;
  strategyId: Scalars['ID']['input'];
  symbol: Scalars['String']['input'];
};

export type Strategy = {
  __typename?: 'Strategy';
  description: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
};

/**
 * The position a strategy's signals imply in one symbol: BUY opens or flips long one unit, SELL short
 * one unit (a signal on the side already held changes nothing).
 */
export type StrategyPosition = {
  __typename?: 'StrategyPosition';
  /** Signal price the position was opened at. */
  entryPrice: Scalars['Float']['output'];
  /** Latest price of the symbol; null when no tick of it is known (the position is then marked at `entryPrice`). */
  markPrice?: Maybe<Scalars['Float']['output']>;
  /** 1 when long, -1 when short. */
  quantity: Scalars['Int']['output'];
  /** BUY: long one unit; SELL: short one unit. */
  side: Side;
  symbol: Scalars['String']['output'];
  /** `(markPrice - entryPrice) * quantity`. */
  unrealisedPnl: Scalars['Float']['output'];
};

/**
 * How following a strategy's signals would have done, one unit per position at the signal prices,
 * over its retained signals (the newest `HISTORY_MAX_LEN`) and marked to the latest price per symbol.
 */
export type StrategyStats = {
  __typename?: 'StrategyStats';
  buys: Scalars['Int']['output'];
  /**
   * Position of the newest signal in the window (or of the signal stream when there is none): the
   * signals that follow are those of `signal(strategyIds: [strategyId], after: cursor)`.
   */
  cursor: Scalars['Cursor']['output'];
  /** `winningRoundTrips / roundTrips`, from 0 to 1; null before the first round trip closes. */
  hitRate?: Maybe<Scalars['Float']['output']>;
  /** Open positions, one per symbol the strategy signalled, by symbol. */
  positions: Array<StrategyPosition>;
  /** Profit of the closed round trips (a position closed by a flip), in price units. */
  realisedPnl: Scalars['Float']['output'];
  /** Closed round trips. */
  roundTrips: Scalars['Int']['output'];
  sells: Scalars['Int']['output'];
  /** Signals in the window (`buys + sells`). */
  signals: Scalars['Int']['output'];
  /** Timestamp of the oldest signal in the window: the figures start there. Null when there is none. */
  since?: Maybe<Scalars['DateTime']['output']>;
  strategyId: Scalars['ID']['output'];
  /** `realisedPnl + unrealisedPnl`. */
  totalPnl: Scalars['Float']['output'];
  /** Profit of the open positions marked to the latest prices. */
  unrealisedPnl: Scalars['Float']['output'];
  /** Closed round trips that made money (profit above 0). */
  winningRoundTrips: Scalars['Int']['output'];
};

export type Subscription = {
  __typename?: 'Subscription';
  /**
   * Progress of one of the caller's backtests: without `after`, starts with its current state; ends
   * (completes) after the terminal status.
   */
  backtestProgress: BacktestProgress;
  /**
   * Bars of one symbol: after `after` (a cursor of `candleHistory`, a `Candle` or a price tick), the
   * bars closed since, each once and in order, then the open bar's current state, then live. Without
   * `after`, starts with the open bar. The open bar's updates conflate for a slow reader (the newest
   * state wins); closed bars are never dropped (too far behind: SLOW_CONSUMER).
   *
   * `maxRate`: at most this many updates of the open bar per second, from 0.01 to 100 (else
   * BAD_USER_INPUT), as on `price`: the newest state is sent when its window ends. A closed bar is
   * never held back or dropped.
   */
  candles: Candle;
  /**
   * Ticks of the given symbols (1 to 50), after `after` if given, then live. A reader that falls
   * behind gets the latest tick per symbol (conflation) rather than every tick.
   *
   * `maxRate`: at most this many ticks per second per symbol, from 0.01 to 100 (else BAD_USER_INPUT);
   * absent, every tick. Ticks in between are conflated to the newest, and the last tick of a burst is
   * always delivered when its window ends, so a capped reader never keeps a stale price.
   *
   * A resume whose gap holds more ticks than a snapshot of the symbols costs gets the latest tick per
   * symbol instead of every tick (see docs/api.md); over SSE a `Last-Event-ID` header resumes as
   * `after` does and overrides it.
   */
  price: PriceTick;
  /**
   * Signals, optionally only of some strategies and/or symbols, after `after` if given, then live.
   * Never conflated: a reader too far behind ends with SLOW_CONSUMER and resumes by cursor.
   */
  signal: Signal;
  /**
   * Figures of the given strategies (all the token is entitled to when omitted): each one's current
   * figures first, then an update on every signal and, while positions are open, at most
   * `ANALYTICS_STATS_THROTTLE_MS` apart on price moves. Each update is the strategy's full state, so
   * a reader that falls behind or reconnects only needs the newest. Entitlements are checked per
   * update against the connection's current token (a strategy no longer entitled stops updating).
   */
  strategyStats: StrategyStats;
};


export type SubscriptionBacktestProgressArgs = {
  after?: InputMaybe<Scalars['Cursor']['input']>;
  id: Scalars['ID']['input'];
};


export type SubscriptionCandlesArgs = {
  after?: InputMaybe<Scalars['Cursor']['input']>;
  interval: CandleInterval;
  maxRate?: InputMaybe<Scalars['Float']['input']>;
  symbol: Scalars['String']['input'];
};


export type SubscriptionPriceArgs = {
  after?: InputMaybe<Scalars['Cursor']['input']>;
  maxRate?: InputMaybe<Scalars['Float']['input']>;
  symbols: Array<Scalars['String']['input']>;
};


export type SubscriptionSignalArgs = {
  after?: InputMaybe<Scalars['Cursor']['input']>;
  strategyIds?: InputMaybe<Array<Scalars['ID']['input']>>;
  symbols?: InputMaybe<Array<Scalars['String']['input']>>;
};


export type SubscriptionStrategyStatsArgs = {
  strategyIds?: InputMaybe<Array<Scalars['ID']['input']>>;
};

/** The identity a connection now runs under. */
export type TokenRenewal = {
  __typename?: 'TokenRenewal';
  /** When the new token expires; null if it does not. */
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  roles: Array<Scalars['String']['output']>;
  subject: Scalars['ID']['output'];
};

export type WithIndex<TObject> = TObject & Record<string, any>;
export type ResolversObject<TObject> = WithIndex<TObject>;

export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  Backtest: ResolverTypeWrapper<BacktestModel>;
  BacktestProgress: ResolverTypeWrapper<BacktestProgress>;
  BacktestResult: ResolverTypeWrapper<BacktestResult>;
  BacktestStatus: BacktestStatus;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Candle: ResolverTypeWrapper<Candle>;
  CandleInterval: CandleInterval;
  CandleSnapshot: ResolverTypeWrapper<CandleSnapshot>;
  Cursor: ResolverTypeWrapper<Scalars['Cursor']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PriceInput: PriceInput;
  PriceSnapshot: ResolverTypeWrapper<PriceSnapshot>;
  PriceTick: ResolverTypeWrapper<PriceTick>;
  PublishBatchResult: ResolverTypeWrapper<PublishBatchResult>;
  PublishErrorCode: PublishErrorCode;
  PublishItemError: ResolverTypeWrapper<PublishItemError>;
  PublishItemResult: ResolverTypeWrapper<PublishItemResult>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Side: Side;
  Signal: ResolverTypeWrapper<Signal>;
  SignalInput: SignalInput;
  SignalSnapshot: ResolverTypeWrapper<SignalSnapshot>;
  StartBacktestInput: StartBacktestInput;
  Strategy: ResolverTypeWrapper<StrategyModel>;
  StrategyPosition: ResolverTypeWrapper<StrategyPosition>;
  StrategyStats: ResolverTypeWrapper<StrategyStats>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  TokenRenewal: ResolverTypeWrapper<TokenRenewal>;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  Backtest: BacktestModel;
  BacktestProgress: BacktestProgress;
  BacktestResult: BacktestResult;
  Boolean: Scalars['Boolean']['output'];
  Candle: Candle;
  CandleSnapshot: CandleSnapshot;
  Cursor: Scalars['Cursor']['output'];
  DateTime: Scalars['DateTime']['output'];
  Float: Scalars['Float']['output'];
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  Mutation: Record<PropertyKey, never>;
  PriceInput: PriceInput;
  PriceSnapshot: PriceSnapshot;
  PriceTick: PriceTick;
  PublishBatchResult: PublishBatchResult;
  PublishItemError: PublishItemError;
  PublishItemResult: PublishItemResult;
  Query: Record<PropertyKey, never>;
  Signal: Signal;
  SignalInput: SignalInput;
  SignalSnapshot: SignalSnapshot;
  StartBacktestInput: StartBacktestInput;
  Strategy: StrategyModel;
  StrategyPosition: StrategyPosition;
  StrategyStats: StrategyStats;
  String: Scalars['String']['output'];
  Subscription: Record<PropertyKey, never>;
  TokenRenewal: TokenRenewal;
}>;

export type BacktestResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Backtest'] = ResolversParentTypes['Backtest']> = ResolversObject<{
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cursor?: Resolver<Maybe<ResolversTypes['Cursor']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  message?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  progress?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  result?: Resolver<Maybe<ResolversTypes['BacktestResult']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['BacktestStatus'], ParentType, ContextType>;
  strategyId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  symbol?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  totalBars?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type BacktestProgressResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['BacktestProgress'] = ResolversParentTypes['BacktestProgress']> = ResolversObject<{
  backtestId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  equity?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  message?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  processedBars?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  progress?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  result?: Resolver<Maybe<ResolversTypes['BacktestResult']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['BacktestStatus'], ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  totalBars?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type BacktestResultResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['BacktestResult'] = ResolversParentTypes['BacktestResult']> = ResolversObject<{
  equityCurve?: Resolver<Array<ResolversTypes['Float']>, ParentType, ContextType>;
  maxDrawdown?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  sharpe?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  totalReturn?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  trades?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  winRate?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
}>;

export type CandleResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Candle'] = ResolversParentTypes['Candle']> = ResolversObject<{
  close?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  closed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  high?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  interval?: Resolver<ResolversTypes['CandleInterval'], ParentType, ContextType>;
  low?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  open?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  openTime?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  symbol?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  ticks?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  volume?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
}>;

export type CandleSnapshotResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['CandleSnapshot'] = ResolversParentTypes['CandleSnapshot']> = ResolversObject<{
  candles?: Resolver<Array<ResolversTypes['Candle']>, ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  interval?: Resolver<ResolversTypes['CandleInterval'], ParentType, ContextType>;
  symbol?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export interface CursorScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Cursor'], any> {
  name: 'Cursor';
}

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type MutationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  cancelBacktest?: Resolver<ResolversTypes['Backtest'], ParentType, ContextType, RequireFields<MutationCancelBacktestArgs, 'id'>>;
  publishPrice?: Resolver<ResolversTypes['PriceTick'], ParentType, ContextType, RequireFields<MutationPublishPriceArgs, 'input'>>;
  publishPrices?: Resolver<ResolversTypes['PublishBatchResult'], ParentType, ContextType, RequireFields<MutationPublishPricesArgs, 'inputs'>>;
  publishSignal?: Resolver<ResolversTypes['Signal'], ParentType, ContextType, RequireFields<MutationPublishSignalArgs, 'input'>>;
  publishSignals?: Resolver<ResolversTypes['PublishBatchResult'], ParentType, ContextType, RequireFields<MutationPublishSignalsArgs, 'inputs'>>;
  renewToken?: Resolver<ResolversTypes['TokenRenewal'], ParentType, ContextType, RequireFields<MutationRenewTokenArgs, 'token'>>;
  startBacktest?: Resolver<ResolversTypes['Backtest'], ParentType, ContextType, RequireFields<MutationStartBacktestArgs, 'input'>>;
}>;

export type PriceSnapshotResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PriceSnapshot'] = ResolversParentTypes['PriceSnapshot']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  ticks?: Resolver<Array<ResolversTypes['PriceTick']>, ParentType, ContextType>;
}>;

export type PriceTickResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PriceTick'] = ResolversParentTypes['PriceTick']> = ResolversObject<{
  ask?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  bid?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  id?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  price?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  symbol?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  volume?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
}>;

export type PublishBatchResultResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PublishBatchResult'] = ResolversParentTypes['PublishBatchResult']> = ResolversObject<{
  failed?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  items?: Resolver<Array<ResolversTypes['PublishItemResult']>, ParentType, ContextType>;
  published?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type PublishItemErrorResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PublishItemError'] = ResolversParentTypes['PublishItemError']> = ResolversObject<{
  code?: Resolver<ResolversTypes['PublishErrorCode'], ParentType, ContextType>;
  message?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type PublishItemResultResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['PublishItemResult'] = ResolversParentTypes['PublishItemResult']> = ResolversObject<{
  cursor?: Resolver<Maybe<ResolversTypes['Cursor']>, ParentType, ContextType>;
  duplicate?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  error?: Resolver<Maybe<ResolversTypes['PublishItemError']>, ParentType, ContextType>;
  id?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  index?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  backtest?: Resolver<Maybe<ResolversTypes['Backtest']>, ParentType, ContextType, RequireFields<QueryBacktestArgs, 'id'>>;
  backtests?: Resolver<Array<ResolversTypes['Backtest']>, ParentType, ContextType>;
  candleHistory?: Resolver<ResolversTypes['CandleSnapshot'], ParentType, ContextType, RequireFields<QueryCandleHistoryArgs, 'interval' | 'last' | 'symbol'>>;
  priceSnapshot?: Resolver<ResolversTypes['PriceSnapshot'], ParentType, ContextType, Partial<QueryPriceSnapshotArgs>>;
  prices?: Resolver<Array<ResolversTypes['PriceTick']>, ParentType, ContextType, Partial<QueryPricesArgs>>;
  signalSnapshot?: Resolver<ResolversTypes['SignalSnapshot'], ParentType, ContextType, RequireFields<QuerySignalSnapshotArgs, 'last'>>;
  signals?: Resolver<Array<ResolversTypes['Signal']>, ParentType, ContextType, RequireFields<QuerySignalsArgs, 'last'>>;
  strategies?: Resolver<Array<ResolversTypes['Strategy']>, ParentType, ContextType>;
  strategyStats?: Resolver<Array<ResolversTypes['StrategyStats']>, ParentType, ContextType, Partial<QueryStrategyStatsArgs>>;
  symbols?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type SignalResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Signal'] = ResolversParentTypes['Signal']> = ResolversObject<{
  confidence?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  price?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  reason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  side?: Resolver<ResolversTypes['Side'], ParentType, ContextType>;
  strategyId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  symbol?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  timestamp?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
}>;

export type SignalSnapshotResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['SignalSnapshot'] = ResolversParentTypes['SignalSnapshot']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  signals?: Resolver<Array<ResolversTypes['Signal']>, ParentType, ContextType>;
}>;

export type StrategyResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Strategy'] = ResolversParentTypes['Strategy']> = ResolversObject<{
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type StrategyPositionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['StrategyPosition'] = ResolversParentTypes['StrategyPosition']> = ResolversObject<{
  entryPrice?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  markPrice?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  side?: Resolver<ResolversTypes['Side'], ParentType, ContextType>;
  symbol?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  unrealisedPnl?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
}>;

export type StrategyStatsResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['StrategyStats'] = ResolversParentTypes['StrategyStats']> = ResolversObject<{
  buys?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  hitRate?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  positions?: Resolver<Array<ResolversTypes['StrategyPosition']>, ParentType, ContextType>;
  realisedPnl?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  roundTrips?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  sells?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  signals?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  since?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  strategyId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  totalPnl?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  unrealisedPnl?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  winningRoundTrips?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type SubscriptionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = ResolversObject<{
  backtestProgress?: SubscriptionResolver<ResolversTypes['BacktestProgress'], "backtestProgress", ParentType, ContextType, RequireFields<SubscriptionBacktestProgressArgs, 'id'>>;
  candles?: SubscriptionResolver<ResolversTypes['Candle'], "candles", ParentType, ContextType, RequireFields<SubscriptionCandlesArgs, 'interval' | 'symbol'>>;
  price?: SubscriptionResolver<ResolversTypes['PriceTick'], "price", ParentType, ContextType, RequireFields<SubscriptionPriceArgs, 'symbols'>>;
  signal?: SubscriptionResolver<ResolversTypes['Signal'], "signal", ParentType, ContextType, Partial<SubscriptionSignalArgs>>;
  strategyStats?: SubscriptionResolver<ResolversTypes['StrategyStats'], "strategyStats", ParentType, ContextType, Partial<SubscriptionStrategyStatsArgs>>;
}>;

export type TokenRenewalResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['TokenRenewal'] = ResolversParentTypes['TokenRenewal']> = ResolversObject<{
  expiresAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  roles?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  subject?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = GraphQLContext> = ResolversObject<{
  Backtest?: BacktestResolvers<ContextType>;
  BacktestProgress?: BacktestProgressResolvers<ContextType>;
  BacktestResult?: BacktestResultResolvers<ContextType>;
  Candle?: CandleResolvers<ContextType>;
  CandleSnapshot?: CandleSnapshotResolvers<ContextType>;
  Cursor?: GraphQLScalarType;
  DateTime?: GraphQLScalarType;
  Mutation?: MutationResolvers<ContextType>;
  PriceSnapshot?: PriceSnapshotResolvers<ContextType>;
  PriceTick?: PriceTickResolvers<ContextType>;
  PublishBatchResult?: PublishBatchResultResolvers<ContextType>;
  PublishItemError?: PublishItemErrorResolvers<ContextType>;
  PublishItemResult?: PublishItemResultResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Signal?: SignalResolvers<ContextType>;
  SignalSnapshot?: SignalSnapshotResolvers<ContextType>;
  Strategy?: StrategyResolvers<ContextType>;
  StrategyPosition?: StrategyPositionResolvers<ContextType>;
  StrategyStats?: StrategyStatsResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  TokenRenewal?: TokenRenewalResolvers<ContextType>;
}>;

