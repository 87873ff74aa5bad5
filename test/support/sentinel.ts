import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, spawnRedis, spawnRedisServer, startRedis, stopChild, type TestRedis } from './redis.js';

export interface TestSentinel {
  /** The `REDIS_URL` of a server using this setup: `redis+sentinel://127.0.0.1:<sentinel port>/<master name>`. */
  url: string;
  /** The server that is master at the start. */
  master: TestRedis;
  /** Port of its replica, the master after `killMaster`. */
  replicaPort: number;
  /**
   * Kills the master (SIGKILL, a crash) and resolves once the Sentinel has promoted the replica. (A
   * `SENTINEL FAILOVER` of a live master would leave it taking writes for up to 10 s, until the
   * Sentinel's next look at it turns it into a replica.)
   */
  killMaster(): Promise<void>;
  /** Resolves once the Sentinel names the replica as master (after the master was killed). */
  promoted(): Promise<void>;
  stop(): Promise<void>;
}

const MASTER_NAME = 'titan-test';

/**
 * A real Sentinel setup on free ports: a master (`startRedis`), one replica in sync with it, and one
 * Sentinel (quorum 1, master down after 1 s) watching them, so a failover takes about two seconds.
 */
export async function startSentinel(): Promise<TestSentinel> {
  const master = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'titan-sentinel-'));
  const children: ChildProcess[] = [];
  const sentinelPort = await freePort();
  const sentinel = new Redis(sentinelPort, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  sentinel.on('error', () => {});
  const stop = async () => {
    sentinel.disconnect();
    await Promise.all(children.map((child) => stopChild(child)));
    await master.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const replicaPort = await freePort();
    // The replica writes the master's snapshot to its directory: the throw-away one, not the working directory.
    children.push(await spawnRedis(replicaPort, ['--replicaof', '127.0.0.1', String(master.port), '--dir', dir]));
    // The Sentinel learns of replicas from the master's INFO when it starts: the replica must be in sync by then.
    await until(async () => (await master.client.info('replication')).includes('state=online'), 'the replica to sync');
    // A Sentinel rewrites its configuration file, so it gets its own.
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 5000`,
        '',
      ].join('\n'),
    );
    const args = [config, '--sentinel', '--port', String(sentinelPort), '--bind', '127.0.0.1'];
    children.push(await spawnRedisServer(args, '+monitor master', sentinelPort));
    await sentinel.connect();
    const promoted = () =>
      until(async () => {
        const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
        return Number(port) === replicaPort;
      }, 'the Sentinel to promote the replica');
    return {
      url: `redis+sentinel://127.0.0.1:${sentinelPort}/${MASTER_NAME}`,
      master,
      replicaPort,
      async killMaster() {
        await master.kill();
        await promoted();
      },
      promoted,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
