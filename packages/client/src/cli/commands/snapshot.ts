import { PriceSnapshotDocument, SignalSnapshotDocument } from '../../operations.js';
import type { Command, CommonOptions } from '../args.js';
import { connect } from '../connect.js';
import { writeLine } from '../output.js';

/** The snapshot as the server returns it (with its `cursor`, to subscribe after it), one JSON document. */
export async function snapshot(command: Extract<Command, { name: 'snapshot' }>, options: CommonOptions): Promise<void> {
  const titan = await connect(options);
  try {
    if (command.of === 'prices') {
      const { priceSnapshot } = await titan.request(PriceSnapshotDocument, { ...(command.symbols && { symbols: command.symbols }) });
      writeLine(priceSnapshot);
    } else {
      const { signalSnapshot } = await titan.request(SignalSnapshotDocument, {
        ...(command.strategies && { strategyId: command.strategies[0] }),
        ...(command.symbols && { symbol: command.symbols[0] }),
      });
      writeLine(signalSnapshot);
    }
  } finally {
    titan.close();
  }
}
