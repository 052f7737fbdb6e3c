/**
 * Typed configuration: one defaults object, overridden from the environment.
 * Each environment string is converted to the type of its default and checked;
 * a bad value stops start-up with an error that names the variable.
 */
import { KEY_ROLES, isKeyRole, type KeyRole } from './key-roles.ts';

export const defaults = {
  /** HTTP port of the ingest and read API. */
  port: 8080,
  host: '0.0.0.0',
  logLevel: 'info',
  /** Where the embedded engines keep their data. */
  dataDir: '.c360',
  /** Postgres connection string; embedded Postgres when empty. */
  databaseUrl: '',
  /** Port of embedded Postgres. */
  embeddedPostgresPort: 54329,
  /** ClickHouse server URL; embedded chDB when empty. */
  clickhouseUrl: '',
  clickhouseDatabase: 'c360',
  /** Comma-separated Kafka brokers; the embedded log transport when empty. */
  kafkaBrokers: '',
  kafkaClientId: 'c360',
  /** Schema Registry URL; an in-process MockClient when empty. */
  schemaRegistryUrl: '',
  /** Topic name prefix. */
  topicPrefix: 'c360',
  /** Partitions of each topic of the embedded log. */
  embeddedPartitions: 4,
  /** Hours the embedded log keeps messages that every consumer group has committed. */
  embeddedRetentionHours: 168,
  /** "key1:tenantA,key2:tenantB". Empty: the embedded mode creates a key for tenant "demo". */
  apiKeys: '',
  /** GET /metrics answers without an API key (Prometheus scraping); false: it needs a key of any tenant. */
  metricsPublic: true,
  /** Region used to read phone numbers written without a country code. */
  defaultRegion: 'US',
  /** Largest number of messages a stage handles in one batch. */
  batchSize: 2000,
  /** Largest number of events in one POST /v1/events. */
  maxEventsPerRequest: 1000,
  /** Events being appended to the log at once; above it ingest answers 429 with Retry-After. */
  maxInFlightEvents: 10_000,
  /** How long ingest waits for the log to acknowledge before answering 503 (the client retries). */
  ingestAckTimeoutMs: 10_000,
  /** Largest HTTP body in bytes. */
  maxBodyBytes: 5 * 1024 * 1024,
  /**
   * Largest message to the log, in bytes: an event larger once encoded is rejected, and produce
   * requests are cut under it. At or under the broker's message.max.bytes (about 1 MiB by default).
   */
  maxMessageBytes: 1_000_000,
  /** Backoff of retriable failures, in milliseconds. */
  retryInitialMs: 100,
  retryMaxMs: 10_000,
  /** A stage retrying a failure for longer than this makes /healthz answer 503 "degraded". */
  stageStuckAfterMs: 60_000,
  /** Comma-separated services to run in this process: ingest,resolver,enrich,api. */
  services: 'ingest,resolver,enrich,api',
  /** Processes serving ingest on the one port (distributed mode, ingest only). */
  ingestProcesses: 1,
  /** Minutes between full recomputations of aggregates, scores and segments by enrich; 0: never. */
  recomputeIntervalMinutes: 60,
};

export type Config = typeof defaults;

/** Environment variable of each key. */
export const environmentNames: Record<keyof Config, string> = {
  port: 'PORT',
  host: 'HOST',
  logLevel: 'LOG_LEVEL',
  dataDir: 'C360_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  embeddedPostgresPort: 'C360_EMBEDDED_POSTGRES_PORT',
  clickhouseUrl: 'CLICKHOUSE_URL',
  clickhouseDatabase: 'CLICKHOUSE_DATABASE',
  kafkaBrokers: 'KAFKA_BROKERS',
  kafkaClientId: 'KAFKA_CLIENT_ID',
  schemaRegistryUrl: 'SCHEMA_REGISTRY_URL',
  topicPrefix: 'C360_TOPIC_PREFIX',
  embeddedPartitions: 'C360_EMBEDDED_PARTITIONS',
  embeddedRetentionHours: 'C360_EMBEDDED_RETENTION_HOURS',
  apiKeys: 'C360_API_KEYS',
  metricsPublic: 'C360_METRICS_PUBLIC',
  defaultRegion: 'C360_DEFAULT_REGION',
  batchSize: 'C360_BATCH_SIZE',
  maxEventsPerRequest: 'C360_MAX_EVENTS_PER_REQUEST',
  maxInFlightEvents: 'C360_MAX_IN_FLIGHT_EVENTS',
  ingestAckTimeoutMs: 'C360_INGEST_ACK_TIMEOUT_MS',
  maxBodyBytes: 'C360_MAX_BODY_BYTES',
  maxMessageBytes: 'C360_MAX_MESSAGE_BYTES',
  retryInitialMs: 'C360_RETRY_INITIAL_MS',
  retryMaxMs: 'C360_RETRY_MAX_MS',
  stageStuckAfterMs: 'C360_STAGE_STUCK_AFTER_MS',
  services: 'C360_SERVICES',
  ingestProcesses: 'C360_INGEST_PROCESSES',
  recomputeIntervalMinutes: 'C360_RECOMPUTE_INTERVAL_MINUTES',
};

/** One line of documentation per key, for the README and `c360 config`. */
export const descriptions: Record<keyof Config, string> = {
  port: 'HTTP port of the ingest endpoints and the read API',
  host: 'address the HTTP server listens on',
  logLevel: 'pino level: trace, debug, info, warn, error, fatal',
  dataDir: 'folder of the embedded engines (Postgres, chDB, dev API key)',
  databaseUrl: 'Postgres connection string; embedded Postgres when unset',
  embeddedPostgresPort: 'port of the embedded Postgres',
  clickhouseUrl: 'ClickHouse server URL (http://user:pass@host:8123); embedded chDB when unset',
  clickhouseDatabase: 'ClickHouse database of the warehouse tables',
  kafkaBrokers: 'comma-separated Kafka brokers; the embedded Postgres log when unset',
  kafkaClientId: 'Kafka client id',
  schemaRegistryUrl: 'Confluent Schema Registry URL; an in-process registry when unset',
  topicPrefix: 'prefix of every topic name',
  embeddedPartitions: 'partitions per topic of the embedded log',
  embeddedRetentionHours: 'hours the embedded log keeps messages every consumer group has read (dead letters are kept)',
  apiKeys: '"key1:tenantA,key2:tenantB:crm+pos,key3:tenantA:read" (optional sources a key may send, and its role: ingest, read or admin; without a role a key limited to sources is ingest, else admin); unset in embedded mode: a dev key for tenant demo',
  metricsPublic: 'GET /metrics answers without an API key (for Prometheus); false: it needs the key of any tenant. /healthz and /docs never need one',
  defaultRegion: 'ISO country used for phone numbers without a country code',
  batchSize: 'largest batch a pipeline stage handles at once',
  maxEventsPerRequest: 'largest number of events in one POST /v1/events',
  maxInFlightEvents: 'events being appended at once; above it ingest answers 429 with Retry-After',
  ingestAckTimeoutMs: 'ms ingest waits for the log to acknowledge before answering 503 with Retry-After',
  maxBodyBytes: 'largest HTTP body, in bytes (413 above it)',
  maxMessageBytes: "largest message to the log, in bytes: a larger event is rejected with the reason and produce requests are cut under it (at or under the broker's message.max.bytes)",
  retryInitialMs: 'first backoff of a retriable failure, in ms',
  retryMaxMs: 'largest backoff of a retriable failure, in ms',
  stageStuckAfterMs: 'ms a pipeline stage may retry a failure (an engine down) before /healthz answers 503 "degraded"',
  services: 'services run by this process: ingest,resolver,enrich,api',
  ingestProcesses: 'processes sharing the port of an ingest-only service in the distributed mode (one per core)',
  recomputeIntervalMinutes: 'minutes between full recomputations of every profile\'s rolling counters, scores, loyalty tier and segments (enrich); 0 turns it off',
};

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export class ConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(`config ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

function convert(name: string, raw: string, fallback: unknown): unknown {
  if (typeof fallback === 'number') {
    const trimmed = raw.trim();
    const value = Number(trimmed);
    if (trimmed === '' || !Number.isFinite(value) || !Number.isInteger(value)) {
      throw new ConfigError(name, `expected an integer, got "${raw}"`);
    }
    return value;
  }
  if (typeof fallback === 'boolean') {
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    throw new ConfigError(name, `expected true or false, got "${raw}"`);
  }
  return raw;
}

function check(config: Config): void {
  const positive: (keyof Config)[] = [
    'batchSize', 'maxEventsPerRequest', 'maxInFlightEvents', 'ingestProcesses', 'ingestAckTimeoutMs', 'maxBodyBytes', 'maxMessageBytes', 'retryInitialMs', 'retryMaxMs', 'stageStuckAfterMs', 'embeddedPartitions', 'embeddedRetentionHours',
  ];
  for (const key of positive) {
    if ((config[key] as number) < 1) throw new ConfigError(environmentNames[key], `must be at least 1, got ${config[key]}`);
  }
  for (const key of ['port', 'embeddedPostgresPort'] as const) {
    if (config[key] < 0 || config[key] > 65535) {
      throw new ConfigError(environmentNames[key], `must be a port between 0 and 65535, got ${config[key]}`);
    }
  }
  if (!LOG_LEVELS.includes(config.logLevel)) {
    throw new ConfigError(environmentNames.logLevel, `must be one of ${LOG_LEVELS.join(', ')}, got "${config.logLevel}"`);
  }
  if (!/^[A-Z]{2}$/.test(config.defaultRegion)) {
    throw new ConfigError(environmentNames.defaultRegion, `must be a two-letter ISO country code, got "${config.defaultRegion}"`);
  }
  for (const url of ['databaseUrl', 'clickhouseUrl', 'schemaRegistryUrl'] as const) {
    if (config[url] && !URL.canParse(config[url])) {
      throw new ConfigError(environmentNames[url], 'is not a URL');
    }
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(config.topicPrefix)) {
    throw new ConfigError(environmentNames.topicPrefix, `may hold only letters, digits, ".", "_" and "-", got "${config.topicPrefix}"`);
  }
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(config.clickhouseDatabase)) {
    throw new ConfigError(environmentNames.clickhouseDatabase, `is not a plain identifier: "${config.clickhouseDatabase}"`);
  }
  const known = ['ingest', 'resolver', 'enrich', 'api'];
  for (const service of config.services.split(',').map((s) => s.trim())) {
    if (!known.includes(service)) {
      throw new ConfigError(environmentNames.services, `unknown service "${service}", expected some of ${known.join(', ')}`);
    }
  }
  if (config.ingestProcesses > 1 && (config.services.split(',').map((s) => s.trim()).join(',') !== 'ingest' || !config.kafkaBrokers)) {
    throw new ConfigError(environmentNames.ingestProcesses, 'more than one process needs the distributed mode (KAFKA_BROKERS) and C360_SERVICES=ingest');
  }
  parseApiKeys(config.apiKeys);
}

/** Reads the configuration from the environment over the defaults, and checks it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config = { ...defaults } as Record<string, unknown>;
  for (const key of Object.keys(defaults) as (keyof Config)[]) {
    const name = environmentNames[key];
    const raw = env[name];
    if (raw !== undefined) config[key] = convert(name, raw, defaults[key]);
  }
  const result = { ...(config as Config), ...overrides };
  check(result);
  return result;
}

export interface ApiKey {
  key: string;
  tenantId: string;
  /** Sources this key may send; every source when absent. */
  sources?: string[];
  /** What the key may do; defaultRole(sources) when absent. */
  role?: KeyRole;
}

const KEY_SOURCES = ['crm', 'pos', 'web', 'messaging'];

/**
 * Parses "key1:tenantA,key2:tenantB:crm+pos,key3:tenantA:read": after the tenant, optionally the
 * sources the key may send (joined by "+") and its role (ingest, read or admin), in either order.
 */
export function parseApiKeys(raw: string): ApiKey[] {
  if (!raw.trim()) return [];
  return raw.split(',').map((entry) => {
    const [key, tenantId, ...parts] = entry.trim().split(':');
    if (!key || !tenantId || parts.length > 2 || parts.some((p) => p === '')) {
      throw new ConfigError(environmentNames.apiKeys, 'each entry must be "key:tenant", optionally followed by ":source+source" and ":role" (ingest, read or admin)');
    }
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tenantId)) {
      throw new ConfigError(environmentNames.apiKeys, `tenant "${tenantId}" may hold only letters, digits, "_" and "-"`);
    }
    if (key.length < 8) throw new ConfigError(environmentNames.apiKeys, 'a key must be at least 8 characters long');
    const out: ApiKey = { key, tenantId };
    for (const part of parts) {
      if (isKeyRole(part)) {
        if (out.role) throw new ConfigError(environmentNames.apiKeys, `a key has one role; got "${out.role}" and "${part}"`);
        out.role = part;
        continue;
      }
      if (out.sources) throw new ConfigError(environmentNames.apiKeys, `unknown role "${part}", expected one of ${KEY_ROLES.join(', ')}`);
      const sources = part.split('+');
      const unknown = sources.find((s) => !KEY_SOURCES.includes(s));
      if (unknown !== undefined) {
        throw new ConfigError(environmentNames.apiKeys, `unknown source or role "${unknown}", expected sources among ${KEY_SOURCES.join(', ')} joined by "+", or a role (${KEY_ROLES.join(', ')})`);
      }
      out.sources = sources;
    }
    return out;
  });
}

export function servicesOf(config: Config): Set<string> {
  return new Set(config.services.split(',').map((s) => s.trim()));
}
