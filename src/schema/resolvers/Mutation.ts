import { requireRole, visibleBacktest } from '../../auth/authorization.js';
import { badUserInput } from '../../auth/errors.js';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import { asUserInput, checkRange, checkStrategyIds, checkSymbols } from '../arguments.js';
import { toPriceTick, toSignal } from '../event-fields.js';
import { checkBatchSize, toBatchResult, withinInFlight } from '../publish-batch.js';

export const DEFAULT_BACKTEST_BARS = 50_000;

export const Mutation: MutationResolvers = {
  async startBacktest(_parent, { input }, { auth, services }) {
    requireRole(auth.viewer, 'trader', 'admin');
    const [strategyId = ''] = checkStrategyIds('input.strategyId', [input.strategyId]);
    const [symbol = ''] = checkSymbols('input.symbol', [input.symbol], 1);
    const bars = checkRange('input.bars', input.bars ?? DEFAULT_BACKTEST_BARS, 100, 1_000_000);
    return services.backtests.startBacktest(auth.viewer.id, { strategyId, symbol, bars });
  },

  async cancelBacktest(_parent, { id }, { auth, services }) {
    const record = visibleBacktest(auth.viewer, await services.backtestStore.get(id), id);
    return services.backtests.cancel(record);
  },

  async publishPrice(_parent, { input }, { auth, services }) {
    requireRole(auth.viewer, 'publisher');
    return toPriceTick(await withinInFlight(services.publishesInFlight, 1, () => asUserInput(() => services.publisher.publishPrice(input))));
  },

  async publishSignal(_parent, { input }, { auth, services }) {
    requireRole(auth.viewer, 'publisher');
    return toSignal(await withinInFlight(services.publishesInFlight, 1, () => asUserInput(() => services.publisher.publishSignal(input))));
  },

  async publishPrices(_parent, { inputs }, { auth, services }) {
    requireRole(auth.viewer, 'publisher');
    checkBatchSize('inputs', inputs.length, services.publishBatchMax);
    const results = await withinInFlight(services.publishesInFlight, inputs.length, () => services.publisher.publishPrices(inputs));
    return toBatchResult('inputs', results, (tick) => tick.id);
  },

  async publishSignals(_parent, { inputs }, { auth, services }) {
    requireRole(auth.viewer, 'publisher');
    checkBatchSize('inputs', inputs.length, services.publishBatchMax);
    const results = await withinInFlight(services.publishesInFlight, inputs.length, () => services.publisher.publishSignals(inputs));
    return toBatchResult('inputs', results, (signal) => signal.id);
  },

  async renewToken(_parent, { token }, { auth }) {
    if (!auth.renew) {
      throw badUserInput('renewToken works on a WebSocket connection only; over HTTP, send the new token with each request');
    }
    const viewer = await auth.renew(token);
    return {
      subject: viewer.id,
      roles: [...viewer.roles],
      expiresAt: viewer.expiresAt === null ? null : new Date(viewer.expiresAt).toISOString(),
    };
  },
};
