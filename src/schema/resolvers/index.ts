import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Cursor, DateTime } from '../scalars.js';
import { Backtest } from './Backtest.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';

export const resolvers: Resolvers = { Query, Mutation, Subscription, Backtest, DateTime, Cursor };
