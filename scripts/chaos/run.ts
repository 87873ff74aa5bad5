/**
 * `npm run chaos`: a seeded fault run with a checker (see `--help`). Starts Redis (AOF, fsync
 * always) and N instances of the compiled server, publishers and consumers through the client
 * package, and a nemesis doing the seeded schedule's faults; then lets everything heal, publishes a
 * fence per publisher, waits for every consumer to have every fence, reads the stored history and
 * checks. Exit 0: no violation; 1: violations (with their evidence); 2: the harness failed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTitanClient, SignalSnapshotDocument } from '@titan-realtime/client';
import { Redis } from 'ioredis';
import { TokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { check, formatSummary, formatViolation, type Ack, type ProcessExit, type RunRecord, type StoredSignal } from './checker.js';
import { Consumer } from './consumers.js';
import { Nemesis } from './nemesis.js';
import { ChaosInstance, ChaosRedis, freePort, sleep } from './processes.js';
import { Publisher } from './publishers.js';
import { describeFault, FAULT_KINDS, makeSchedule, prng, REDIS_FAULTS, type FaultKind } from './schedule.js';

const HELP = `npm run chaos -- [flags]

  --seconds N        length of the faulty part of the run (default 120)
  --seed N           seed of the schedule and of every random choice (default: random, printed)
  --instances N      server instances (default 3)
  --publishers N     publishers (default 4)
  --consumers N      consumers (default 6)
  --rate N           signals per second per publisher (default 20)
  --faults LIST      comma list of kill,term,freeze,redis-kill,drop,churn (default all)
  --interval MIN,MAX seconds between two faults (default 8,15)
  --max-down N       instances down at once, at most (default 1)
  --fence-ms N       how long every consumer has to receive every fence (default 30000)
  --redis-url URL    an operator's Redis instead of a throw-away one (then no Redis faults)
  --out PATH         write the JSON report (summary, violations, schedule, recorded data) there
  --server-dir DIR   run DIR/dist/main.js (default: this repository's dist/, built by npm run chaos)
  --keep-logs        keep the instances' logs (kept anyway on violations)
  --schedule-only    print the schedule and exit

Exit code: 0 no violation, 1 violations, 2 harness error.`;

/** Fixed, so a token made here is one the instances accept. */
const JWT_SECRET = 'chaos-run-secret-that-is-at-least-32-characters';
const STRATEGIES = ['ma-crossover', 'rsi-reversion'];
const HISTORY_PREFIX = 'titan:signal:stream:';

function flags() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '120' },
      seed: { type: 'string' },
      instances: { type: 'string', default: '3' },
      publishers: { type: 'string', default: '4' },
      consumers: { type: 'string', default: '6' },
      rate: { type: 'string', default: '20' },
      faults: { type: 'string', default: FAULT_KINDS.join(',') },
      interval: { type: 'string', default: '8,15' },
      'max-down': { type: 'string', default: '1' },
      'fence-ms': { type: 'string', default: '30000' },
      'redis-url': { type: 'string' },
      out: { type: 'string' },
      'server-dir': { type: 'string' },
      'keep-logs': { type: 'boolean', default: false },
      'schedule-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const number = (name: string, text: string, min: number) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min) throw new UsageError(`--${name} must be a number >= ${min} (got "${text}")`);
    return value;
  };
  const faults = values.faults.split(',').map((kind) => kind.trim()).filter(Boolean);
  for (const kind of faults) if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--faults: unknown fault "${kind}" (known: ${FAULT_KINDS.join(', ')})`);
  const [min = NaN, max = min] = values.interval.split(',').map(Number);
  if (!(min > 0 && max >= min)) throw new UsageError(`--interval must be MIN,MAX seconds (got "${values.interval}")`);
  const redisUrl = values['redis-url'];
  return {
    seconds: number('seconds', values.seconds, 1),
    seed: values.seed !== undefined ? number('seed', values.seed, 0) >>> 0 : Math.floor(Math.random() * 2 ** 32),
    instances: number('instances', values.instances, 1),
    publishers: number('publishers', values.publishers, 1),
    consumers: number('consumers', values.consumers, 1),
    rate: number('rate', values.rate, 0.1),
    faults: (redisUrl ? faults.filter((kind) => !REDIS_FAULTS.includes(kind as FaultKind)) : faults) as FaultKind[],
    intervalMs: [min * 1000, max * 1000] as const,
    maxDown: number('max-down', values['max-down'], 0),
    fenceMs: number('fence-ms', values['fence-ms'], 1000),
    redisUrl,
    out: values.out,
    serverDir: values['server-dir'],
    keepLogs: values['keep-logs'],
    scheduleOnly: values['schedule-only'],
  };
}

class UsageError extends Error {}

async function main(): Promise<number> {
  const knobs = flags();
  const schedule = makeSchedule({
    seed: knobs.seed,
    durationMs: knobs.seconds * 1000,
    faults: knobs.faults,
    instances: knobs.instances,
    consumers: knobs.consumers,
    maxDown: knobs.maxDown,
    intervalMs: knobs.intervalMs,
  });
  console.log(`chaos: seed ${knobs.seed}, ${knobs.seconds} s, ${knobs.instances} instances, ${knobs.publishers} publishers at ${knobs.rate}/s, ${knobs.consumers} consumers, faults ${knobs.faults.join(',') || 'none'} every ${knobs.intervalMs.map((ms) => ms / 1000).join('-')} s, max ${knobs.maxDown} down`);
  console.log(`schedule (${schedule.length} faults):`);
  for (const fault of schedule) console.log(`  ${describeFault(fault)}`);
  if (knobs.scheduleOnly) return 0;

  const dir = mkdtempSync(join(tmpdir(), 'titan-chaos-'));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  console.log(`logs: ${logDir}`);
  const runId = `chaos-${knobs.seed.toString(36)}-${Date.now().toString(36)}`;
  const random = prng(knobs.seed ^ 0x5eed);
  /** Times are ms from the start of the faulty part (the schedule's zero); negative while setting up. */
  let t0 = Date.now();
  const now = () => Date.now() - t0;
  const log = (line: string) => console.log(line);

  const redis = knobs.redisUrl ? null : new ChaosRedis(await freePort(), dir);
  const redisUrl = knobs.redisUrl ?? (redis as ChaosRedis).url;
  const exits: ProcessExit[] = [];
  const fatalLines: RunRecord['fatalLines'] = [];
  const instances: ChaosInstance[] = [];
  const publishers: Publisher[] = [];
  const consumers: Consumer[] = [];
  let nemesis: Nemesis | null = null;
  let violations = 0;
  let keepLogs = knobs.keepLogs;
  // Interrupted (Ctrl-C, a test giving up) or crashing: no redis-server or instance outlives the run.
  const killAll = () => {
    for (const instance of instances) instance.killNow();
    redis?.killNow();
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`chaos: ${signal}: stopping every process; logs in ${logDir}`);
      killAll();
      process.exit(2);
    });
  }
  try {
    await redis?.start();
    const env = {
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      JWT_SECRET,
      DEMO_FEED: '0',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      // The checker reads the whole run's history back: keep all of it.
      HISTORY_MAX_LEN: '10000000',
      // Consumers reconnect after every fault: not the per-IP connect limit's business here.
      WS_CONNECTS_PER_MINUTE: '100000',
    };
    for (let index = 0; index < knobs.instances; index += 1) {
      instances.push(new ChaosInstance(index, await freePort(), env, logDir, {
        exit: (exit) => {
          exits.push(exit);
          if (!exit.expected) log(`!! instance ${exit.instance} (incarnation ${exit.incarnation}) exited by itself: code ${exit.code}, signal ${exit.signal}`);
        },
        fatal: (instance, incarnation, line) => {
          fatalLines.push({ instance, incarnation, line });
          log(`!! instance ${instance} (incarnation ${incarnation}) logged: ${line.slice(0, 300)}`);
        },
      }, now, knobs.serverDir));
    }
    await Promise.all(instances.map((instance) => instance.start()));
    await untilReady(instances, 30_000);

    const tokens = new TokenService(loadConfig({ JWT_SECRET }).auth);
    const urls = instances.map((instance) => instance.url);
    const observer = createTitanClient({ url: `${urls[0]}/graphql`, token: await tokens.issue('chaos-observer', ['trader'], '12h') });
    const startCursor = (await observer.request(SignalSnapshotDocument, {})).signalSnapshot.cursor;
    observer.close();

    const acks: Ack[] = [];
    const rejected: string[] = [];
    for (let index = 0; index < knobs.consumers; index += 1) {
      const consumer = new Consumer({
        index,
        strategies: STRATEGIES,
        urls,
        token: await tokens.issue(`chaos-consumer-${index}`, ['trader'], '12h'),
        startCursor,
        upInstances: () => instances.flatMap((instance) => (instance.up ? [instance.index] : [])),
        random,
        now,
      });
      consumers.push(consumer);
      consumer.connect();
    }
    for (let index = 0; index < knobs.publishers; index += 1) {
      publishers.push(new Publisher({
        index,
        runId,
        strategies: STRATEGIES,
        urls: urls.map((url) => `${url}/graphql`),
        token: await tokens.issue(`chaos-publisher-${index}`, ['publisher'], '12h'),
        rate: knobs.rate,
        now,
        onAck: (ack) => acks.push(ack),
        onRejected: (id, error) => {
          rejected.push(`${id}: ${error}`);
          log(`!! publish ${id} refused: ${error}`);
        },
      }));
    }
    // The consumers' first subscriptions are in place before the first publish (they start after
    // `startCursor` anyway: this only keeps the first seconds from being a replay).
    await sleep(500);
    log(`set up in ${(now() / 1000).toFixed(1)} s; publishing, and faults from now on (the schedule's times are from here)`);
    t0 = Date.now();
    for (const publisher of publishers) publisher.start();
    nemesis = new Nemesis({ schedule, instances, redis, consumers, maxDown: knobs.maxDown, now, log });
    nemesis.start();
    const progress = setInterval(() => log(`${(now() / 1000).toFixed(0)} s: ${acks.length} acknowledged, ${consumers.reduce((sum, c) => sum + c.record.deliveries.length, 0)} delivered`), 10_000);
    await sleep(knobs.seconds * 1000);

    // The end: no more faults, everything heals, then the fences.
    log(`${(now() / 1000).toFixed(1)} s: faults stop; healing`);
    await nemesis.stop();
    const hangs: string[] = [];
    await Promise.all(publishers.map((publisher) => publisher.stop(30_000)));
    const notReady = await untilReady(instances, 30_000).then(() => [], (error: Error) => [error.message]);
    hangs.push(...notReady);
    const fenceAcks = await Promise.all(publishers.map((publisher) => publisher.publishFence(knobs.fenceMs)));
    fenceAcks.forEach((acked, index) => acked || hangs.push(`publisher ${index}'s fence was not acknowledged within ${knobs.fenceMs} ms`));
    const fenceIds = publishers.map((publisher) => publisher.fenceId());
    const deadline = Date.now() + knobs.fenceMs;
    const lacking = () => Object.fromEntries(consumers.map((consumer) => {
      const ids = new Set(consumer.record.deliveries.map((delivery) => delivery.id));
      return [consumer.record.name, fenceIds.filter((id) => !ids.has(id))];
    }));
    let missing = lacking();
    while (Object.values(missing).some((ids) => ids.length > 0) && Date.now() < deadline) {
      await sleep(250);
      missing = lacking();
    }
    clearInterval(progress);
    const fencesAt = now();
    log(`${(fencesAt / 1000).toFixed(1)} s: fences ${Object.values(missing).every((ids) => ids.length === 0) ? 'received by every consumer' : 'missing'}`);
    // Late deliveries of a stored signal after a fence would still be seen: give them a moment.
    await sleep(500);

    const stored = await readHistory(redisUrl, runId);
    for (const consumer of consumers) consumer.close();
    for (const publisher of publishers) publisher.close();
    const record: RunRecord = {
      seed: knobs.seed,
      durationMs: knobs.seconds * 1000,
      schedule,
      applied: nemesis.applied,
      acks,
      consumers: consumers.map((consumer) => ({
        ...consumer.record,
        deliveries: consumer.record.deliveries.filter((delivery) => delivery.id.startsWith(`${runId}-`)),
      })),
      stored,
      exits: [],
      fatalLines,
      fences: { ids: fenceIds, missing, boundMs: knobs.fenceMs },
      hangs,
    };
    await Promise.all(instances.map((instance) => instance.stop('SIGTERM')));
    record.exits = exits;

    const result = check(record);
    violations = result.violations.length;
    console.log('');
    console.log(formatSummary(result));
    console.log(`publishes retried: ${publishers.reduce((sum, p) => sum + p.retries, 0)}; refused: ${rejected.length}; consumer moves: ${consumers.reduce((sum, c) => sum + c.moves, 0)}`);
    const logTail = (index: number, incarnation?: number) => instances[index]?.logTail(40, incarnation);
    for (const violation of result.violations.slice(0, 50)) console.log(`\n${formatViolation(violation, logTail)}`);
    if (result.violations.length > 50) console.log(`\n… and ${result.violations.length - 50} more (see --out)`);
    if (knobs.out) {
      writeFileSync(knobs.out, JSON.stringify({ knobs: { ...knobs, faults: knobs.faults }, runId, logDir, summary: result.summary, violations: result.violations, rejected, record }, null, 1));
      console.log(`report: ${knobs.out}`);
    }
    if (violations > 0) keepLogs = true;
    return violations > 0 ? 1 : 0;
  } finally {
    await nemesis?.stop().catch(() => {});
    for (const consumer of consumers) consumer.close();
    for (const publisher of publishers) publisher.close();
    await Promise.all(instances.map((instance) => instance.stop('SIGKILL').catch(() => {})));
    await redis?.stop().catch(() => {});
    if (keepLogs) console.log(`logs kept in ${logDir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves once every instance answers `/readyz` 200, rejects naming those that did not within `ms`. */
async function untilReady(instances: ChaosInstance[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ready = await Promise.all(instances.map((instance) => instance.ready()));
    if (ready.every(Boolean)) return;
    if (Date.now() > deadline) {
      const slow = instances.filter((_, index) => !ready[index]);
      throw new Error(`instance(s) ${slow.map((instance) => instance.index).join(', ')} not ready within ${ms} ms:\n${slow.map((instance) => instance.logTail(10)).join('\n')}`);
    }
    await sleep(200);
  }
}

/** The run's signals in each strategy's stored history, in stored order (XRANGE, in pages). */
async function readHistory(redisUrl: string, runId: string): Promise<Record<string, StoredSignal[]>> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  try {
    const stored: Record<string, StoredSignal[]> = {};
    for (const strategy of STRATEGIES) {
      const history: StoredSignal[] = [];
      let start = '-';
      for (;;) {
        const page = await redis.xrange(`${HISTORY_PREFIX}${strategy}`, start, '+', 'COUNT', 5000);
        for (const [entryId, fields] of page) {
          const payload = JSON.parse(fields[fields.indexOf('p') + 1] ?? '{}') as { id?: string };
          if (payload.id?.startsWith(`${runId}-`)) history.push({ offset: Number(entryId.split('-')[0]), id: payload.id });
        }
        if (page.length < 5000) break;
        start = `(${(page.at(-1) as [string, string[]])[0]}`;
      }
      stored[strategy] = history;
    }
    return stored;
  } finally {
    redis.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`chaos: ${error.message}\n\n${HELP}`);
      process.exit(2);
    }
    console.error(`chaos: harness error: ${(error as Error).stack ?? String(error)}`);
    process.exit(2);
  },
);
