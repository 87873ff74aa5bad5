import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, stopChild } from './redis.js';

/** Debian's nginx (apt-get install nginx); only its binary is used, never its service. */
export const NGINX_PATH = '/usr/sbin/nginx';
/** The load balancer configuration docker-compose mounts: the tests run this very file. */
export const NGINX_CONFIG = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

export interface NginxSite {
  /** Directory with `nginx.conf` (a link to deploy/nginx.conf) and its two per-deployment includes. */
  dir: string;
  /** The `-p`/`-c` arguments that run it with every writable path inside `dir`. */
  args: string[];
  /** Removes `dir`. */
  remove(): void;
}

/**
 * Lays out deploy/nginx.conf for a test: a temporary directory with a link to the file itself and
 * the two includes it expects beside it, `nginx-upstream.conf` listing `servers` (host:port, the
 * same passive health check as compose) and `nginx-listen.conf` with `port`.
 */
export function nginxSite(servers: string[], port: number): NginxSite {
  if (!existsSync(NGINX_PATH)) throw new Error(`nginx not found at ${NGINX_PATH}: apt-get install -y nginx`);
  const dir = mkdtempSync(join(tmpdir(), 'titan-nginx-'));
  // Workers run as `nobody` when the tests run as root: they must reach the temp directories here.
  chmodSync(dir, 0o755);
  symlinkSync(NGINX_CONFIG, join(dir, 'nginx.conf'));
  const lines = servers.map((server) => `  server ${server} max_fails=1 fail_timeout=10s;`);
  writeFileSync(join(dir, 'nginx-upstream.conf'), `upstream titan_api {\n  zone titan_api 64k;\n${lines.join('\n')}\n}\n`);
  writeFileSync(join(dir, 'nginx-listen.conf'), `listen 127.0.0.1:${port};\n`);
  return {
    dir,
    // `-e stderr`: nginx opens its compiled-in error log before reading the config otherwise.
    args: ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `nginx -t` on a site: resolves with nginx's verdict and what it printed. */
export function checkNginxSite(site: NginxSite): Promise<{ ok: boolean; output: string }> {
  // stdout is /dev/null rather than a pipe: the access log (/dev/stdout) cannot be opened on a socket.
  const child = spawn(NGINX_PATH, [...site.args, '-t'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ ok: code === 0, output }));
  });
}

export interface TestNginx {
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  /** Everything nginx printed so far (error log and access log). */
  output(): string;
  stop(): Promise<void>;
}

/** Runs nginx in the foreground with deploy/nginx.conf on a free port in front of `upstreamPorts` on 127.0.0.1. */
export async function startNginx(upstreamPorts: number[]): Promise<TestNginx> {
  const port = await freePort();
  const site = nginxSite(upstreamPorts.map((p) => `127.0.0.1:${p}`), port);
  // The access log goes to /dev/stdout, which nginx cannot open on a socket (Node's pipes): a file.
  const accessLog = join(site.dir, 'access.log');
  const stdout = openSync(accessLog, 'a');
  const child = spawn(NGINX_PATH, [...site.args, '-g', 'daemon off;'], { stdio: ['ignore', stdout, 'pipe'] });
  closeSync(stdout);
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const output = () => `${errors}${existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : ''}`;
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    // SIGTERM: fast shutdown, the master ends its workers (open WebSockets included) before exiting.
    await stopChild(child);
    site.remove();
  };
  try {
    await untilListening(url, () => child.exitCode !== null, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, graphqlUrl: `${url}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql`, output, stop };
}

/** nginx prints nothing when ready: polls until it answers (any status: the upstreams may be busy). */
async function untilListening(url: string, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`nginx exited:\n${output()}`);
    const answered = await fetch(`${url}/healthz`).then(() => true, () => false);
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${url} within 10 s:\n${output()}`);
}
