import { describe, expect, it } from 'vitest';
import { Cell, FAULTS, poll, within } from './harness.js';
import { PHASES, type Phase } from './phases.js';

/** Runs one cell: the story of harness.ts for `phase` under `fault`. */
async function runCell(faultName: keyof typeof FAULTS, phase: Phase): Promise<void> {
  const fault = FAULTS[faultName]!;
  const cell = await Cell.create(fault);
  try {
    if (!phase.startsDuringFault) {
      await cell.startInProcess(phase.env);
      await poll(() => cell.readyz(), (status) => status === 200, 'the server to be ready');
    }
    const state = phase.before ? await within(phase.before(cell), 15_000, `${phase.name}: before the fault`) : undefined;
    await cell.redis.inject();
    if (fault.down && !phase.startsDuringFault) {
      await poll(() => cell.readyz(), (status) => status === 503, '/readyz to say 503', 5000);
    }
    if (phase.during) await within(phase.during(cell, state), 20_000, `${phase.name}: during the fault`);
    await cell.redis.recover();
    expect(await poll(() => cell.readyz(), (status) => status === 200, '/readyz to say 200 again', 15_000)).toBe(200);
    if (phase.after) await within(phase.after(cell, state), 30_000, `${phase.name}: after recovery`);
  } finally {
    await cell.stop();
  }
}

/** Every phase under one fault, as one describe block of its test file. */
export function faultMatrix(faultName: keyof typeof FAULTS): void {
  describe(`Redis fault: ${FAULTS[faultName]!.name}`, () => {
    it.each(PHASES.map((phase) => [phase.name, phase] as const))('%s', (_name, phase) => runCell(faultName, phase));
  });
}
