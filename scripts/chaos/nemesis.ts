import type { Consumer } from './consumers.js';
import type { ChaosInstance, ChaosRedis } from './processes.js';
import { sleep } from './processes.js';
import { describeFault, type FaultKind, type ScheduledFault } from './schedule.js';

/**
 * The nemesis: does the schedule's faults at their times. Faults to one target (an instance, Redis)
 * never overlap: a fault waits for the previous one to the same target to have ended (restarted,
 * continued). `maxDown` holds at run time too: an instance fault that would take one more instance
 * down than allowed (one is still slow to come back) waits for it, up to its own slot's end.
 */

export interface NemesisOptions {
  schedule: readonly ScheduledFault[];
  instances: ChaosInstance[];
  /** Absent with an operator's Redis. */
  redis: ChaosRedis | null;
  consumers: Consumer[];
  maxDown: number;
  now: () => number;
  log: (line: string) => void;
}

export class Nemesis {
  readonly applied: { kind: FaultKind; at: number; detail: string }[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly locks = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly options: NemesisOptions) {}

  start(): void {
    const { schedule, now } = this.options;
    for (const fault of schedule) {
      const timer = setTimeout(() => {
        if (this.stopped) return;
        const work = this.apply(fault).catch((error: unknown) => this.options.log(`nemesis: ${fault.kind} failed: ${(error as Error).message}`));
        this.running.add(work);
        void work.finally(() => this.running.delete(work));
      }, Math.max(0, fault.at - now()));
      this.timers.push(timer);
    }
  }

  /** No new faults; resolves once every fault under way has ended (restarts done, Redis continued). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private locked(target: string, work: () => Promise<void>): Promise<void> {
    const previous = this.locks.get(target) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.locks.set(target, next.catch(() => {}));
    return next;
  }

  private note(fault: ScheduledFault, detail: string): void {
    const at = this.options.now();
    this.applied.push({ kind: fault.kind, at, detail });
    this.options.log(`nemesis ${(at / 1000).toFixed(1)} s: ${detail}`);
  }

  private async apply(fault: ScheduledFault): Promise<void> {
    const { instances, redis, consumers, maxDown } = this.options;
    switch (fault.kind) {
      case 'kill':
      case 'term': {
        const instance = instances[fault.instance ?? 0] as ChaosInstance;
        await this.locked(`instance-${instance.index}`, async () => {
          // Run-time check of maxDown: wait (bounded) for a slow instance to come back first.
          const deadline = Date.now() + 10_000;
          while (instances.filter((other) => !other.up).length >= maxDown && Date.now() < deadline) await sleep(100);
          if (this.stopped || instances.filter((other) => !other.up).length >= maxDown) {
            this.options.log(`nemesis: skipped "${describeFault(fault).trim()}": ${maxDown} instance(s) already down`);
            return;
          }
          this.note(fault, `${fault.kind === 'kill' ? 'SIGKILL' : 'SIGTERM'} instance ${instance.index} (incarnation ${instance.incarnation})`);
          await instance.stop(fault.kind === 'kill' ? 'SIGKILL' : 'SIGTERM');
          await sleep(fault.durationMs ?? 1000);
          await instance.start();
          this.options.log(`nemesis ${(this.options.now() / 1000).toFixed(1)} s: instance ${instance.index} restarted (incarnation ${instance.incarnation})`);
        });
        return;
      }
      case 'freeze':
        if (!redis) return;
        await this.locked('redis', async () => {
          this.note(fault, `SIGSTOP Redis for ${fault.durationMs} ms`);
          redis.signal('SIGSTOP');
          await sleep(fault.durationMs ?? 3000);
          redis.signal('SIGCONT');
        });
        return;
      case 'redis-kill':
        if (!redis) return;
        await this.locked('redis', async () => {
          this.note(fault, `SIGKILL Redis, restart after ${fault.durationMs} ms`);
          await redis.kill();
          await sleep(fault.durationMs ?? 1000);
          await redis.start();
        });
        return;
      case 'drop':
        this.note(fault, `drop all ${consumers.length} consumer connections`);
        await Promise.all(consumers.map((consumer) => consumer.drop()));
        return;
      case 'churn': {
        const consumer = consumers[fault.consumer ?? 0];
        if (!consumer) return;
        this.note(fault, `consumer ${fault.consumer} leaves instance ${consumer.currentInstance} for ${fault.durationMs} ms, to instance ${fault.instance} if up`);
        await consumer.move(fault.durationMs ?? 1000, fault.instance);
        return;
      }
    }
  }
}
