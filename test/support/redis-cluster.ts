import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort, spawnRedis, stopChild } from './redis.js';

const run = promisify(execFile);

export interface ClusterNode {
  port: number;
  child: ChildProcess;
  /** A plain client of this node, for assertions; closed by `stop`. */
  client: Redis;
}

export interface TestCluster {
  /** `redis+cluster://127.0.0.1:<port>,…` naming every node. */
  url: string;
  nodes: ClusterNode[];
  /** A cluster client for assertions (routes each command to its slot's master); closed by `stop`. */
  client: Cluster;
  /** The node that is master of `key`'s hash slot now, as the cluster says. */
  masterOf(key: string): Promise<ClusterNode>;
  /** The replica of `master`. */
  replicaOf(master: ClusterNode): Promise<ClusterNode>;
  /** Kills a node at once (SIGKILL), as a crash would. */
  kill(node: ClusterNode): Promise<void>;
  /** Resolves once `key`'s slot has a master other than `old` and every live node says `cluster_state:ok`. */
  promoted(key: string, old: ClusterNode): Promise<ClusterNode>;
  stop(): Promise<void>;
}

/** How long a node may be silent before the others mark it failed: short, so a failover takes a few seconds. */
const NODE_TIMEOUT_MS = 1000;

/**
 * A real Redis Cluster on free ports: 6 `redis-server --cluster-enabled yes`, joined by
 * `redis-cli --cluster create … --cluster-replicas 1` into 3 masters with one replica each.
 */
export async function startCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'titan-cluster-'));
  const nodes: ClusterNode[] = [];
  let client: Cluster | undefined;
  const stop = async () => {
    client?.disconnect();
    for (const node of nodes) node.client.disconnect();
    await Promise.all(nodes.map((node) => stopChild(node.child, 'SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i += 1) {
      const port = await freePort();
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const child = await spawnRedis(port, [
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(nodeDir, 'nodes.conf'),
        '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
        '--appendonly', 'no',
        '--dir', nodeDir,
      ]);
      const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, commandTimeout: 2000, lazyConnect: true });
      client.on('error', () => {});
      nodes.push({ port, child, client });
    }
    await Promise.all(nodes.map((node) => node.client.connect()));
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
    const live = () => nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null);
    await until(async () => (await Promise.all(nodes.map((node) => stateOf(node)))).every((state) => state === 'ok'), 'cluster_state:ok');
    // Every node must also know every node's role before a failover can be relied on.
    await until(async () => (await Promise.all(nodes.map((node) => rolesSeenBy(node)))).every((roles) => roles === '3 masters, 3 replicas'), 'the topology to settle');

    client = new Cluster(
      nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
      { redisOptions: { commandTimeout: 2000 }, slotsRefreshInterval: 1000 },
    );
    client.on('error', () => {});
    const masterOf = async (key: string): Promise<ClusterNode> => {
      const asker = live()[0]!;
      const slot = Number(await asker.client.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await asker.client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      const node = nodes.find((candidate) => candidate.port === Number(range?.[2][1]));
      if (!node) throw new Error(`no master owns slot ${slot}`);
      return node;
    };
    const replicaOf = async (master: ClusterNode): Promise<ClusterNode> => {
      for (const node of live()) {
        const [role, , port] = (await node.client.call('ROLE')) as [string, string, number];
        if (role === 'slave' && Number(port) === master.port) return node;
      }
      throw new Error(`no replica of ${master.port}`);
    };
    return {
      url: `redis+cluster://${addresses.join(',')}`,
      nodes,
      client,
      masterOf,
      replicaOf,
      kill: (node) => stopChild(node.child, 'SIGKILL'),
      async promoted(key, old) {
        let master = old;
        await until(async () => {
          master = await masterOf(key);
          const states = await Promise.all(live().map((node) => stateOf(node)));
          return master !== old && master.child.exitCode === null && states.every((state) => state === 'ok');
        }, `a replica to take over ${key}'s slot from ${old.port}`, 20_000);
        return master;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function stateOf(node: ClusterNode): Promise<string> {
  const info = String(await node.client.call('CLUSTER', 'INFO'));
  return /^cluster_state:(\w+)/m.exec(info)?.[1] ?? 'unknown';
}

/** What `node` knows of the others: how many masters and replicas it sees that are not failing. */
async function rolesSeenBy(node: ClusterNode): Promise<string> {
  const flags = String(await node.client.call('CLUSTER', 'NODES'))
    .trim()
    .split('\n')
    .map((line) => line.split(' ')[2]?.split(',') ?? []);
  const healthy = flags.filter((set) => !set.includes('fail') && !set.includes('fail?'));
  const masters = healthy.filter((set) => set.includes('master')).length;
  const replicas = healthy.filter((set) => set.includes('slave')).length;
  return `${masters} masters, ${replicas} replicas`;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
