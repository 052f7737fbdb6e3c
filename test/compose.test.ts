/**
 * docker-compose.yml is valid (checked by Debian's docker-compose without a Docker engine) and
 * keeps its promises: the engines and the four services, health checks, ordered start-up.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('docker-compose.yml', () => {
  it('validates and runs the full distributed stack', () => {
    execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { stdio: 'pipe' });
    const services = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services']).toString().trim().split('\n').sort();
    expect(services).toEqual(expect.arrayContaining(['api', 'clickhouse', 'enrich', 'grafana', 'ingest', 'kafka', 'postgres', 'resolver', 'schema-registry']));
    const full = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config']).toString();
    for (const engine of ['kafka', 'schema-registry', 'clickhouse', 'postgres']) {
      expect(full).toMatch(new RegExp(`\\n  ${engine}:\\n(?:    .*\\n|      .*\\n)*?    healthcheck:`));
    }
    expect(full).toMatch(/condition: service_healthy/);
    expect(full).toMatch(/KAFKA_PROCESS_ROLES: broker,controller/);
  });
});
