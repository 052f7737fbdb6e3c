import { describe, expect, it } from 'vitest';
import { ConfigError, defaults, environmentNames, loadConfig, parseApiKeys } from '../../platform/config.ts';

/** Runs fn and returns the ConfigError it throws (fails the test when it does not throw one). */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('C360_INGEST_PROCESSES', () => {
  it('takes several processes for an ingest-only service in the distributed mode', () => {
    expect(loadConfig({ C360_INGEST_PROCESSES: '2', C360_SERVICES: 'ingest', KAFKA_BROKERS: 'k:9092' }).ingestProcesses).toBe(2);
  });
  it('refuses several processes in the embedded mode or with other services', () => {
    expect(configErrorOf(() => loadConfig({ C360_INGEST_PROCESSES: '2', C360_SERVICES: 'ingest' })).key).toBe('C360_INGEST_PROCESSES');
    expect(configErrorOf(() => loadConfig({ C360_INGEST_PROCESSES: '2', KAFKA_BROKERS: 'k:9092' })).message).toMatch(/C360_SERVICES=ingest/);
    expect(configErrorOf(() => loadConfig({ C360_INGEST_PROCESSES: '0' })).key).toBe('C360_INGEST_PROCESSES');
  });
});

describe('loadConfig', () => {
  it('returns the defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toEqual(defaults);
    expect(config.port).toBe(8080);
    expect(config.logLevel).toBe('info');
    expect(config.defaultRegion).toBe('US');
    expect(config.services).toBe('ingest,resolver,enrich,api');
    // A copy, not the defaults object itself.
    expect(config).not.toBe(defaults);
  });

  it('converts each variable to the type of its default', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      C360_BATCH_SIZE: ' 250 ',
      C360_EMBEDDED_PARTITIONS: '8',
      C360_DEFAULT_REGION: 'GB',
      DATABASE_URL: 'postgres://u:p@db.internal:5432/c360',
      CLICKHOUSE_URL: 'http://ch:8123',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      C360_SERVICES: 'ingest,api',
      C360_API_KEYS: 'abcdefgh1:acme',
    });
    expect(config.port).toBe(9000);
    expect(typeof config.port).toBe('number');
    expect(config.host).toBe('127.0.0.1');
    expect(config.logLevel).toBe('debug');
    expect(config.batchSize).toBe(250);
    expect(config.embeddedPartitions).toBe(8);
    expect(config.defaultRegion).toBe('GB');
    expect(config.databaseUrl).toBe('postgres://u:p@db.internal:5432/c360');
    expect(config.clickhouseUrl).toBe('http://ch:8123');
    expect(config.kafkaBrokers).toBe('k1:9092,k2:9092');
    expect(config.services).toBe('ingest,api');
    expect(config.apiKeys).toBe('abcdefgh1:acme');
    // Untouched keys keep their defaults.
    expect(config.retryMaxMs).toBe(defaults.retryMaxMs);
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ SOMETHING_ELSE: 'x', port: 'not-read' }).port).toBe(8080);
  });

  it('applies overrides over the environment', () => {
    expect(loadConfig({ PORT: '9000' }, { port: 9100 }).port).toBe(9100);
  });

  it('checks overrides too', () => {
    const error = configErrorOf(() => loadConfig({}, { port: 99_999 }));
    expect(error.key).toBe('PORT');
  });

  it.each(['abc', '1.5', '', '  ', '12abc', 'NaN', 'Infinity'])('rejects PORT=%j with an error naming PORT', (raw) => {
    const error = configErrorOf(() => loadConfig({ PORT: raw }));
    expect(error.name).toBe('ConfigError');
    expect(error.key).toBe('PORT');
    expect(error.message).toContain('PORT');
    expect(error.message).toContain('expected an integer');
  });

  it('names the variable of any integer setting that is not an integer', () => {
    const error = configErrorOf(() => loadConfig({ C360_BATCH_SIZE: 'lots' }));
    expect(error.key).toBe('C360_BATCH_SIZE');
    expect(error.message).toMatch(/^config C360_BATCH_SIZE: /);
  });

  it('rejects ports outside 0..65535 and sizes below 1', () => {
    expect(configErrorOf(() => loadConfig({ PORT: '65536' })).key).toBe('PORT');
    expect(configErrorOf(() => loadConfig({ PORT: '-1' })).key).toBe('PORT');
    expect(configErrorOf(() => loadConfig({ C360_EMBEDDED_POSTGRES_PORT: '70000' })).key).toBe('C360_EMBEDDED_POSTGRES_PORT');
    expect(configErrorOf(() => loadConfig({ C360_BATCH_SIZE: '0' })).key).toBe('C360_BATCH_SIZE');
    expect(configErrorOf(() => loadConfig({ C360_MAX_BODY_BYTES: '-5' })).key).toBe('C360_MAX_BODY_BYTES');
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it.each(['verbose', 'INFO', ''])('rejects LOG_LEVEL=%j', (raw) => {
    const error = configErrorOf(() => loadConfig({ LOG_LEVEL: raw }));
    expect(error.key).toBe('LOG_LEVEL');
    expect(error.message).toContain('LOG_LEVEL');
  });

  it.each(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])('accepts LOG_LEVEL=%s', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
  });

  it.each(['us', 'USA', 'U', '', '12'])('rejects C360_DEFAULT_REGION=%j', (raw) => {
    const error = configErrorOf(() => loadConfig({ C360_DEFAULT_REGION: raw }));
    expect(error.key).toBe('C360_DEFAULT_REGION');
    expect(error.message).toContain('C360_DEFAULT_REGION');
  });

  it('rejects a DATABASE_URL that is not a URL, and accepts an empty one (embedded Postgres)', () => {
    const error = configErrorOf(() => loadConfig({ DATABASE_URL: 'not a url' }));
    expect(error.key).toBe('DATABASE_URL');
    expect(error.message).toBe('config DATABASE_URL: is not a URL');
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBe('');
  });

  it('rejects bad CLICKHOUSE_URL and SCHEMA_REGISTRY_URL', () => {
    expect(configErrorOf(() => loadConfig({ CLICKHOUSE_URL: 'http//missing-colon' })).key).toBe('CLICKHOUSE_URL');
    expect(configErrorOf(() => loadConfig({ SCHEMA_REGISTRY_URL: '::' })).key).toBe('SCHEMA_REGISTRY_URL');
  });

  it('rejects a topic prefix or ClickHouse database with unsafe characters', () => {
    expect(configErrorOf(() => loadConfig({ C360_TOPIC_PREFIX: 'c360/prod' })).key).toBe('C360_TOPIC_PREFIX');
    expect(configErrorOf(() => loadConfig({ CLICKHOUSE_DATABASE: 'c360; DROP' })).key).toBe('CLICKHOUSE_DATABASE');
    expect(configErrorOf(() => loadConfig({ CLICKHOUSE_DATABASE: '1abc' })).key).toBe('CLICKHOUSE_DATABASE');
  });

  it('rejects an unknown service in C360_SERVICES and names it', () => {
    const error = configErrorOf(() => loadConfig({ C360_SERVICES: 'ingest,billing' }));
    expect(error.key).toBe('C360_SERVICES');
    expect(error.message).toContain('C360_SERVICES');
    expect(error.message).toContain('"billing"');
  });

  it('rejects an empty service list and a trailing comma', () => {
    expect(configErrorOf(() => loadConfig({ C360_SERVICES: '' })).key).toBe('C360_SERVICES');
    expect(configErrorOf(() => loadConfig({ C360_SERVICES: 'ingest,' })).key).toBe('C360_SERVICES');
  });

  it('accepts services with spaces around the commas', () => {
    expect(loadConfig({ C360_SERVICES: 'ingest, resolver' }).services).toBe('ingest, resolver');
  });

  it('checks C360_API_KEYS while loading', () => {
    const error = configErrorOf(() => loadConfig({ C360_API_KEYS: 'short:acme' }));
    expect(error.key).toBe('C360_API_KEYS');
  });

  it('has an environment variable name for every key', () => {
    expect(Object.keys(environmentNames).sort()).toEqual(Object.keys(defaults).sort());
  });
});

describe('parseApiKeys', () => {
  it('parses "key:tenant" entries, trimming spaces around entries', () => {
    expect(parseApiKeys('abcdefgh1:acme, ijklmnop2:globex_2 ,qrstuvwx3:tenant-3')).toEqual([
      { key: 'abcdefgh1', tenantId: 'acme' },
      { key: 'ijklmnop2', tenantId: 'globex_2' },
      { key: 'qrstuvwx3', tenantId: 'tenant-3' },
    ]);
  });

  it('gives no keys for an empty or blank string', () => {
    expect(parseApiKeys('')).toEqual([]);
    expect(parseApiKeys('   ')).toEqual([]);
  });

  it.each([
    ['no tenant', 'abcdefgh1'],
    ['empty tenant', 'abcdefgh1:'],
    ['empty key', ':acme'],
    ['too many parts', 'abcdefgh1:acme:crm:read:extra'],
    ['an empty source list', 'abcdefgh1:acme:'],
    ['empty entry', 'abcdefgh1:acme,'],
  ])('rejects an entry with %s', (_what, raw) => {
    const error = configErrorOf(() => parseApiKeys(raw));
    expect(error.key).toBe('C360_API_KEYS');
    expect(error.message).toBe('config C360_API_KEYS: each entry must be "key:tenant", optionally followed by ":source+source" and ":role" (ingest, read or admin)');
  });

  it('parses the sources a key may send, and refuses unknown ones', () => {
    expect(parseApiKeys('abcdefgh1:acme:crm+pos')).toEqual([{ key: 'abcdefgh1', tenantId: 'acme', sources: ['crm', 'pos'] }]);
    const error = configErrorOf(() => parseApiKeys('abcdefgh1:acme:crm+fax'));
    expect(error.message).toBe('config C360_API_KEYS: unknown source or role "fax", expected sources among crm, pos, web, messaging joined by "+", or a role (ingest, read, admin)');
  });

  it('parses the role of a key, before or after its sources, and refuses a second one', () => {
    expect(parseApiKeys('abcdefgh1:acme:read,abcdefgh2:acme:pos:ingest,abcdefgh3:acme:admin:crm')).toEqual([
      { key: 'abcdefgh1', tenantId: 'acme', role: 'read' },
      { key: 'abcdefgh2', tenantId: 'acme', sources: ['pos'], role: 'ingest' },
      { key: 'abcdefgh3', tenantId: 'acme', sources: ['crm'], role: 'admin' },
    ]);
    expect(configErrorOf(() => parseApiKeys('abcdefgh1:acme:read:admin')).message).toContain('a key has one role');
    expect(configErrorOf(() => parseApiKeys('abcdefgh1:acme:crm:owner')).message).toContain('unknown role "owner"');
  });

  it('rejects a key shorter than 8 characters', () => {
    const error = configErrorOf(() => parseApiKeys('abcdefg:acme'));
    expect(error.key).toBe('C360_API_KEYS');
    expect(error.message).toContain('at least 8 characters');
    expect(parseApiKeys('abcdefgh:acme')).toEqual([{ key: 'abcdefgh', tenantId: 'acme' }]);
  });

  it.each(['ac me', 'acme!', 'acmé', 'a.b', 'x'.repeat(65)])('rejects tenant %j', (tenant) => {
    const error = configErrorOf(() => parseApiKeys(`abcdefgh1:${tenant}`));
    expect(error.key).toBe('C360_API_KEYS');
    expect(error.message).toContain('may hold only letters, digits');
  });

  it('accepts a 64-character tenant', () => {
    expect(parseApiKeys(`abcdefgh1:${'t'.repeat(64)}`)[0]?.tenantId).toBe('t'.repeat(64));
  });
});
