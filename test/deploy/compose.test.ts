import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkNginxSite, nginxSite } from '../support/nginx.js';

/** docker-compose.yml cannot run here (no Docker engine): check what it wires and that nginx takes the config. */
interface ComposeService {
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  environment?: Record<string, string>;
  networks?: Record<string, { ipv4_address?: string }>;
  restart?: string;
}

const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as { services: Record<string, ComposeService> };
const { api, nginx } = compose.services;

describe('docker-compose.yml', () => {
  it('runs several API replicas reachable only through nginx, healthy when /readyz says so', () => {
    expect(api?.deploy?.replicas).toBeGreaterThan(1);
    expect(api?.ports).toBeUndefined();
    expect(api?.healthcheck?.test.join(' ')).toContain('/readyz');
    expect(nginx?.ports).toEqual(['4000:4000']);
    expect(nginx?.depends_on?.api?.condition).toBe('service_healthy');
  });

  it('restarts every service that stops', () => {
    for (const [name, service] of Object.entries(compose.services)) expect(service.restart, name).toBe('unless-stopped');
  });

  it('trusts X-Forwarded-For from nginx alone: its fixed address on the compose network', () => {
    const address = nginx?.networks?.default?.ipv4_address;
    expect(address).toMatch(/^172\.28\.\d+\.\d+$/);
    expect(api?.environment?.TRUSTED_PROXIES).toBe(address);
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
