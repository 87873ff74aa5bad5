import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.js';
import { isUnavailable } from './unavailable.js';

/** Where a link reports: a pino logger fits. */
export interface LinkLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface RedisLinkOptions {
  /** Names the connection in log lines and metrics: `bus`, `subscriber`, `store`, `ingest`. */
  role: string;
  log: LinkLog;
  /** Errors that are not an expected outage (a bad password, a bug): logged with their stack. */
  onError: (error: unknown) => void;
  /** Called when the link goes up or down. */
  onChange?: (up: boolean) => void;
  /** How often a ready connection is PINGed, to notice a Redis that is frozen or cut off. @default 1000 */
  probeIntervalMs?: number;
  /** While down, a reminder is logged this often. @default 30000 */
  reminderMs?: number;
  /** Failed probes in a row after which the connection is dropped and made anew. @default 3 */
  probesBeforeReconnect?: number;
}

/**
 * The health of one Redis connection, as the API sees it: up while the connection is ready and
 * answers a PING within the command timeout. A refused or dropped connection shows in ioredis'
 * events; a frozen Redis (or a partition) keeps the TCP connection open and only the probe notices.
 *
 * An outage logs one line when it starts, a reminder every `reminderMs` while it lasts and one line
 * with its duration when it ends; the expected network errors in between are not logged at all.
 *
 * The link also keeps the connection alive whatever ioredis decides: a connection that stops
 * answering PINGs is dropped and made anew (a hung master that Sentinel replaced, a half-open TCP
 * connection), and a client that ioredis ended by itself is connected again.
 *
 * A cluster client is up while the cluster says its state is `ok` (`CLUSTER INFO`, asked of any
 * node): every slot has a master that answers. While a failed master waits for its replica to take
 * over, the cluster says `fail` and the link is down; that answer is no reason to reconnect.
 */
export class RedisLink {
  private up = false;
  private since = Date.now();
  private lastReason = 'connecting';
  private everUp = false;
  private reportedDown = false;
  private readonly probe: NodeJS.Timeout;
  private reminder: NodeJS.Timeout | null = null;
  private failedProbes = 0;
  private stopped = false;

  constructor(
    private readonly client: RedisClient,
    private readonly options: RedisLinkOptions,
  ) {
    const { probeIntervalMs = 1000 } = options;
    client.on('ready', () => this.markUp());
    client.on('close', () => this.markDown('connection closed'));
    client.on('end', () => {
      if (this.stopped) return;
      this.markDown('connection ended');
      client.connect().catch(() => {});
    });
    client.on('error', (error: unknown) => {
      if (isUnavailable(error)) this.lastReason = describe(error);
      else options.onError(error);
    });
    this.probe = setInterval(() => this.check(), probeIntervalMs).unref();
    // A Redis that never answers at start is reported once the first connection attempt has had its chance.
    if (client.status === 'ready') this.markUp();
  }

  /** True while the connection is ready and answering. */
  get isUp(): boolean {
    return this.up;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.probe);
    this.clearReminder();
  }

  private check(): void {
    if (this.stopped) return;
    if (this.client.status !== 'ready') {
      if (!this.reportedDown && Date.now() - this.since > 1000) this.markDown(this.lastReason);
      return;
    }
    probe(this.client).then(
      (state) => {
        this.failedProbes = 0;
        if (state === 'ok') this.markUp();
        else this.markDown(`cluster state ${state}`);
      },
      (error: unknown) => {
        this.markDown(isUnavailable(error) ? 'not answering' : describe(error));
        this.failedProbes += 1;
        if (this.failedProbes >= (this.options.probesBeforeReconnect ?? 3) && !this.stopped) {
          this.failedProbes = 0;
          this.client.disconnect(true);
        }
      },
    );
  }

  private markUp(): void {
    if (this.stopped || this.up) return;
    const downMs = Date.now() - this.since;
    this.up = true;
    this.since = Date.now();
    this.clearReminder();
    if (this.reportedDown) this.options.log.info({ redis: this.options.role, downMs }, 'redis connection back');
    else if (!this.everUp) this.options.log.info({ redis: this.options.role }, 'redis connected');
    this.everUp = true;
    this.reportedDown = false;
    this.options.onChange?.(true);
  }

  private markDown(reason: string): void {
    if (this.stopped) return;
    if (this.up) {
      this.up = false;
      this.since = Date.now();
      this.options.onChange?.(false);
    }
    if (this.reportedDown) return;
    this.reportedDown = true;
    const { role, log, reminderMs = 30_000 } = this.options;
    log.warn({ redis: role, reason }, this.everUp ? 'redis connection lost' : 'redis unreachable');
    this.reminder = setInterval(() => {
      log.warn({ redis: role, downMs: Date.now() - this.since, reason: this.lastReason }, 'redis still unreachable');
    }, reminderMs).unref();
  }

  private clearReminder(): void {
    if (this.reminder) clearInterval(this.reminder);
    this.reminder = null;
  }
}

/** PING, or on a cluster its state as a node sees it (`ok` when every slot is served). */
async function probe(client: RedisClient): Promise<string> {
  if (!(client instanceof Cluster)) {
    await client.ping();
    return 'ok';
  }
  const info = String(await client.call('CLUSTER', 'INFO'));
  return /^cluster_state:(\w+)/m.exec(info)?.[1] ?? 'unknown';
}

/** A short reason without a stack: the error code, or the first line of the message. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : (error.message.split('\n')[0] ?? error.name).slice(0, 200);
}
