/**
 * The Redis a bench cell runs on (`--redis=single|cluster`): one throw-away redis-server, or a local
 * Redis Cluster of 3 masters and 3 replicas, started as the cluster tests start theirs
 * (`test/support/redis-cluster.ts`: 6 redis-servers with `--cluster-enabled yes`, joined by
 * `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`). Either way the cell gets the
 * `REDIS_URL` for the servers, and each node's pid and URL to measure it: Redis CPU is summed over
 * the masters (the replicas' CPU, the cost of replication, is reported apart), INFO commandstats over
 * the masters too.
 */
import type { RedisClient } from '../../src/bus/redis-connection.js';
import { startCluster } from '../../test/support/redis-cluster.js';
import { pidOf, startRedis, stop } from './processes.js';

export type RedisKind = 'single' | 'cluster';
export const REDIS_KINDS: readonly RedisKind[] = ['single', 'cluster'];

export interface RedisNode {
  url: string;
  pid: number;
}

export interface RedisUnderTest {
  kind: RedisKind;
  /** What the TITAN servers and publishers are given as `REDIS_URL`. */
  url: string;
  masters: RedisNode[];
  /** Cluster only: one replica per master. */
  replicas: RedisNode[];
  stop(): Promise<void>;
}

export async function startRedisUnderTest(kind: RedisKind): Promise<RedisUnderTest> {
  if (kind === 'single') {
    const { url, child } = await startRedis();
    return { kind, url, masters: [{ url, pid: pidOf(child) }], replicas: [], stop: () => stop(child) };
  }
  const cluster = await startCluster();
  try {
    // Which node is which: `redis-cli` chooses, `ROLE` says (a replica answers "slave").
    const nodes = await Promise.all(
      cluster.nodes.map(async (node) => ({
        url: `redis://127.0.0.1:${node.port}`,
        pid: pidOf(node.child),
        master: ((await node.client.call('ROLE')) as [string])[0] === 'master',
      })),
    );
    const strip = ({ url, pid }: RedisNode): RedisNode => ({ url, pid });
    return {
      kind,
      url: cluster.url,
      masters: nodes.filter((node) => node.master).map(strip),
      replicas: nodes.filter((node) => !node.master).map(strip),
      stop: () => cluster.stop(),
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** Entries of the ingest stream not yet read by the consumer group, or read and not yet acknowledged. */
export async function ingestBacklog(redis: Pick<RedisClient, 'xinfo' | 'xlen'>, stream: string): Promise<number> {
  const groups = (await redis.xinfo('GROUPS', stream).catch(() => [])) as unknown[][];
  let waiting = 0;
  for (const group of groups) {
    const field = (name: string) => group[group.indexOf(name) + 1];
    const lag = field('lag');
    // Redis cannot always count the lag (null): the stream's length is then the upper bound.
    waiting += Number(field('pending') ?? 0) + (lag === null || lag === undefined ? await redis.xlen(stream) : Number(lag));
  }
  return waiting;
}
