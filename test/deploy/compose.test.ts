import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkNginxSite, nginxSite } from '../support/nginx.js';
import { inheritedInstructions, parseDockerfile, readRepoFile, repoFileExists, sourceOfEmitted } from './docker-files.js';

// docker-compose.yml cannot run here (no Docker engine): check what it wires and that nginx takes the config.

interface Resources {
  cpus?: string | number;
  memory?: string;
}

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  deploy?: { replicas?: number; resources?: { limits?: Resources; reservations?: Resources } };
  environment?: Record<string, string> | string[];
  networks?: Record<string, { ipv4_address?: string }>;
  restart?: string;
}

const root = new URL('../../', import.meta.url);
// merge: the services share their environment through a YAML merge key (`<<: *api-env`).
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const { api, nginx } = compose.services;

/** A service's environment as a map (compose takes a map or a list of KEY=value). */
function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(env.map((entry) => [entry.split('=')[0]!, entry.split('=').slice(1).join('=')]));
}

const words = (command: string | string[] | undefined): string[] => (typeof command === 'string' ? command.split(/\s+/) : (command ?? []));
const builtHere = (service: ComposeService) => service.build === '.' || (typeof service.build === 'object' && (service.build.context ?? '.') === '.');
// The image's NODE_ENV: what a service built from the Dockerfile runs with unless it sets its own.
const imageEnv = inheritedInstructions(parseDockerfile(readRepoFile('Dockerfile')).final)
  .filter((i) => i.keyword === 'ENV')
  .map((i) => i.args)
  .join(' ');
const imageProduction = /(^|\s)NODE_ENV=("?)production\2(\s|$)/.test(imageEnv);
const truthy = (value: string | undefined) => ['1', 'true', 'yes', 'on'].includes((value ?? '').toLowerCase());

/** Bytes of a compose size: 512M, 1g, 256mb, 1024k. */
function bytes(size: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(size ?? '');
  if (!match) return NaN;
  return Number(match[1]) * 1024 ** ' kmg'.indexOf(match[2]!.toLowerCase() || ' ');
}

describe('docker-compose.yml', () => {
  it('runs several API replicas reachable only through nginx, healthy when /readyz says so', () => {
    expect(api?.deploy?.replicas).toBeGreaterThan(1);
    expect(api?.ports).toBeUndefined();
    expect(api?.healthcheck?.test?.join(' ')).toContain('/readyz');
    expect(nginx?.ports).toEqual(['4000:4000']);
    expect(nginx?.depends_on?.api?.condition).toBe('service_healthy');
  });

  it('restarts every service that stops', () => {
    for (const [name, service] of Object.entries(compose.services)) expect(service.restart, name).toBe('unless-stopped');
  });

  it('runs in production without GraphiQL, introspection or pretty logs (pino-pretty is not in the image)', () => {
    expect(environment(api!).NODE_ENV ?? (builtHere(api!) && imageProduction ? 'production' : undefined)).toBe('production');
    for (const [name, service] of Object.entries(compose.services)) {
      const env = environment(service);
      const production = env.NODE_ENV !== undefined ? env.NODE_ENV === 'production' : builtHere(service) && imageProduction;
      if (!production) continue;
      expect(truthy(env.GRAPHIQL), `${name}: GRAPHIQL=${env.GRAPHIQL}`).toBe(false);
      expect(truthy(env.INTROSPECTION), `${name}: INTROSPECTION=${env.INTROSPECTION}`).toBe(false);
      expect(env.LOG_FORMAT ?? 'json', `${name}: LOG_FORMAT`).toBe('json');
    }
  });

  it("limits every service's CPU and memory; an API instance gets one core and room above its idle 100-150 MB", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const { limits, reservations } = service.deploy?.resources ?? {};
      expect(Number(limits?.cpus), `${name} cpus`).toBeGreaterThan(0);
      expect(bytes(limits?.memory), `${name} memory`).toBeGreaterThan(0);
      if (reservations?.memory !== undefined) expect(bytes(reservations.memory), `${name} reservation`).toBeLessThanOrEqual(bytes(limits?.memory));
      // `docker compose` (not swarm) ignores a CPU reservation: none, so the file says what applies.
      expect(reservations?.cpus, `${name} reserved cpus`).toBeUndefined();
    }
    const limits = api?.deploy?.resources?.limits;
    expect(Number(limits?.cpus)).toBe(1);
    expect(bytes(limits?.memory)).toBeGreaterThanOrEqual(384 * 1024 ** 2);
  });

  it("runs compiled JavaScript only: no command uses tsx, the feed's points at a file the build emits", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect([...words(service.entrypoint), ...words(service.command)].join(' '), name).not.toMatch(/tsx|\.ts\b/);
    }
    const feed = words(compose.services.feed?.command);
    expect(feed[0]).toBe('node');
    const script = feed.find((arg) => arg.endsWith('.js'));
    expect(script).toBe('dist/feed.js');
    const source = sourceOfEmitted(script!);
    expect(repoFileExists(source), source).toBe(true);
  });

  it("checks each image-built service's health by what it serves: the image's /readyz check is the API's", () => {
    for (const [name, service] of Object.entries(compose.services).filter(([, s]) => builtHere(s))) {
      const command = words(service.command);
      const runsApi = command.length === 0 || command.includes('dist/main.js');
      if (runsApi) expect(service.healthcheck?.disable, name).not.toBe(true);
      else expect(service.healthcheck?.disable === true || service.healthcheck?.test !== undefined, `${name} overrides the image's HEALTHCHECK`).toBe(true);
    }
  });

  it('trusts X-Forwarded-For from nginx alone: its fixed address on the compose network', () => {
    const address = nginx?.networks?.default?.ipv4_address;
    expect(address).toMatch(/^172\.28\.\d+\.\d+$/);
    expect(environment(api!).TRUSTED_PROXIES).toBe(address);
    expect(readFileSync(new URL('deploy/nginx.conf', root), 'utf8')).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  });

  it('mounts deploy/nginx.conf and its two includes where nginx -c looks for them', () => {
    expect(nginx?.command).toEqual(expect.arrayContaining(['-c', '/etc/nginx/nginx.conf']));
    expect(nginx?.volumes).toEqual([
      './deploy/nginx.conf:/etc/nginx/nginx.conf:ro',
      './deploy/nginx-upstream.conf:/etc/nginx/nginx-upstream.conf:ro',
      './deploy/nginx-listen.conf:/etc/nginx/nginx-listen.conf:ro',
    ]);
    expect(readFileSync(new URL('deploy/nginx-upstream.conf', root), 'utf8')).toMatch(/^\s*server api:4000 /m);
  });

  it('deploy/nginx.conf passes nginx -t (with 127.0.0.1 for `api`, which does not resolve here)', async () => {
    const site = nginxSite(['127.0.0.1:4001', '127.0.0.1:4002'], 4000);
    try {
      const { ok, output } = await checkNginxSite(site);
      expect(output).toContain('test is successful');
      expect(ok).toBe(true);
    } finally {
      site.remove();
    }
  });
});
