/**
 * Wires the services of one process from the configuration: the engines (Postgres, ClickHouse,
 * Kafka or the embedded log, the Schema Registry), the stages and the HTTP server. The stages
 * are the same code in both modes; only the transport and the connections differ.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ConfigError, parseApiKeys, servicesOf, type ApiKey, type Config } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { createMetrics, type Metrics } from '../platform/metrics.ts';
import { startPostgres, type PostgresHandle } from '../platform/postgres.ts';
import { startClickHouse, type ClickHouseHandle } from '../platform/clickhouse.ts';
import { migrateClickHouse, migratePostgres } from '../platform/migrate.ts';
import { clickhouseMigrations, postgresMigrations } from './migrations.ts';
import { createKafkaTransport } from '../platform/kafka-transport.ts';
import { createLogTransport } from '../platform/log-transport.ts';
import { runStage, type StageSubscription } from '../platform/stage-runner.ts';
import { stagesHealth } from '../platform/stage-health.ts';
import { watchConsumerLag, type LagSource } from '../platform/stage-lag.ts';
import type { Subscription, Transport } from '../platform/transport.ts';
import { createHttpServer } from '../platform/http.ts';
import { OPENAPI_DOCUMENT, registerOpenApi } from '../platform/openapi.ts';
import { createKeyStore } from '../platform/api-keys.ts';
import { createCodec, type Codec } from '../schemas/codec.ts';
import { schemaStoreFor } from '../schemas/schema-store.ts';
import { allTopics, topicNames, type Topics } from '../schemas/topics.ts';
import type { ProfileChange } from '../schemas/types.ts';
import { createGraphStore } from '../resolver/graph-store.ts';
import { createResolverStage } from '../resolver/stage.ts';
import { createEnrichStage } from '../enrich/stage.ts';
import { createAggregateComputer } from '../enrich/compute-aggregates.ts';
import { createWarehouseWriter } from '../warehouse/writer.ts';
import { registerProfileRoutes } from '../api/profiles.ts';
import { registerBlocklistRoutes } from '../api/blocklist.ts';
import { registerCustomerSegmentRoutes } from '../api/segments.ts';
import { registerPrivacyRoutes } from '../api/privacy.ts';
import { registerSqlEndpoint } from '../api/sql.ts';
import { registerAuditRoutes } from '../api/audit.ts';
import { registerConsole } from '../api/console.ts';
import { registerProfileSearch } from '../api/profile-search.ts';
import { registerReviewRoutes } from '../api/review.ts';
import { registerPipelineHealth } from '../api/pipeline-health.ts';
import { createMetricsHistory } from '../platform/metrics-history.ts';
import { createReviewDecisions } from '../resolver/review-queue.ts';
import { createApiAudit } from '../platform/api-audit.ts';
import { registerOrderRoutes } from '../api/orders.ts';
import { registerConsentRoutes } from '../api/consent.ts';
import { createPrivacyService } from '../api/privacy-service.ts';
import { suppressedEvents } from '../resolver/suppression.ts';
import { createConsentScopeStore } from '../resolver/consent-scopes.ts';
import { createSegmentStore } from '../enrich/segments/store.ts';
import { createSegmentServing } from '../enrich/segments/serving.ts';
import { startRecomputeSchedule } from '../enrich/schedule.ts';
import { createModelStore } from '../enrich/score-profiles.ts';
import { createSummaryStore } from '../enrich/summaries.ts';
import { createBlocklistStore } from '../resolver/blocklist.ts';
import { registerIngestRoutes } from '../api/events.ts';
import { registerSegmentRoutes } from '../api/segment-spec.ts';
import { registerMessagingRoutes } from '../api/messaging.ts';
import { SOURCES } from '../schemas/types.ts';
import { checkRouteInputs, routeInputsOf } from '../platform/openapi-inputs.ts';


export interface Runtime {
  config: Config;
  mode: 'embedded' | 'distributed';
  services: Set<string>;
  /** Base URL of the HTTP server, when this process runs ingest or api. */
  url: string | null;
  apiKeys: ApiKey[];
  /** The key created for tenant "demo" when the embedded mode runs without configured keys. */
  devApiKey: string | null;
  topics: Topics;
  transport: Transport;
  codec: Codec;
  metrics: Metrics;
  postgres: PostgresHandle | null;
  clickhouse: ClickHouseHandle | null;
  app: FastifyInstance | null;
  /** Graceful stop: HTTP stops accepting, stages drain their batch and commit, engines close. */
  stop(): Promise<void>;
}

function devApiKey(dataDir: string): string {
  const file = path.resolve(dataDir, 'dev-api-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = `dev_${randomBytes(18).toString('base64url')}`;
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export async function startRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const services = servicesOf(config);
  const mode = config.kafkaBrokers ? 'distributed' : 'embedded';
  const topics = topicNames(config.topicPrefix);
  const metrics = createMetrics();
  const closers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const close of closers.reverse()) {
      await close().catch((error) => logger.error({ err: error }, 'error while stopping'));
    }
  };

  try {
    let apiKeys = parseApiKeys(config.apiKeys);
    let dev: string | null = null;
    const serves = services.has('ingest') || services.has('api');
    if (serves && apiKeys.length === 0) {
      if (mode === 'distributed') {
        if (!config.databaseUrl) {
          throw new ConfigError('C360_API_KEYS', 'must be set in the distributed mode ("key1:tenantA,key2:tenantB"), or set DATABASE_URL to use keys issued with `c360 keys create`');
        }
      } else {
        dev = devApiKey(config.dataDir);
        apiKeys = [{ key: dev, tenantId: 'demo' }];
      }
    }

    // An ingest process in the distributed mode uses Postgres only for issued API keys, when DATABASE_URL is set;
    // enrich writes the serving copy of the aggregates that the read API answers from.
    const needsPostgres = mode === 'embedded' || services.has('resolver') || services.has('enrich') || services.has('api') || (serves && Boolean(config.databaseUrl));
    const postgres = needsPostgres
      ? await startPostgres({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, port: config.embeddedPostgresPort, logger })
      : null;
    if (postgres) {
      closers.push(() => postgres.close());
      const applied = await migratePostgres(postgres.pool, postgresMigrations());
      if (applied.length) logger.info({ applied }, 'Postgres migrations applied');
    }

    const needsClickHouse = services.has('enrich') || services.has('api');
    const clickhouse = needsClickHouse
      ? await startClickHouse({ url: config.clickhouseUrl, dataDir: config.dataDir, database: config.clickhouseDatabase })
      : null;
    if (clickhouse) {
      closers.push(() => clickhouse.close());
      const applied = await migrateClickHouse(clickhouse.client, clickhouse.database, clickhouseMigrations());
      if (applied.length) logger.info({ applied }, 'ClickHouse migrations applied');
    }

    const transport =
      mode === 'distributed'
        ? await createKafkaTransport({ brokers: config.kafkaBrokers.split(',').map((b) => b.trim()), clientId: config.kafkaClientId, logger, maxRequestBytes: config.maxMessageBytes })
        : createLogTransport({
            pool: postgres!.pool,
            partitions: config.embeddedPartitions,
            logger,
            retryMaxMs: config.retryMaxMs,
            retentionHours: config.embeddedRetentionHours,
          });
    closers.push(() => transport.close());
    await transport.ensureTopics(allTopics(topics));

    const codec = await createCodec({ store: schemaStoreFor(config.schemaRegistryUrl, postgres?.pool ?? null), topics });
    const stageOptions = {
      transport,
      logger,
      metrics,
      batchSize: config.batchSize,
      retryInitialMs: config.retryInitialMs,
      retryMaxMs: config.retryMaxMs,
    };
    const graph = postgres ? createGraphStore(postgres.pool) : null;
    const blocklists = postgres ? createBlocklistStore(postgres.pool) : null;
    const consentScopes = postgres ? createConsentScopeStore(postgres.pool) : null;
    // One store of each concern per process, handed to every user. Segments publish their
    // membership changes to the segment changes topic.
    const segments = clickhouse &&
      createSegmentStore(clickhouse, {
        serving: postgres ? createSegmentServing(postgres.pool) : undefined,
        publish: (changes) =>
          transport.send([
            {
              topic: topics.segmentChanges,
              messages: changes.map((c) => ({ key: `${c.tenant_id}:${c.customer360_id}`, value: codec.encode(topics.segmentChanges, c) })),
            },
          ]),
      });
    // Profile changes published outside the resolver: soft deletes and splits (the API),
    // erasures (privacy requests), loyalty tier changes (enrich).
    const publishProfileChanges = async (changes: ProfileChange[]) => {
      if (changes.length === 0) return;
      await transport.send([
        {
          topic: topics.profileChanges,
          messages: changes.map((c) => ({ key: `${c.tenant_id}:${c.customer360_id}`, value: codec.encode(topics.profileChanges, c) })),
        },
      ]);
    };
    const subscriptions: Subscription[] = [];
    closers.push(async () => {
      await Promise.all(subscriptions.map((s) => s.stop()));
    });
    // The stages of this process, for /healthz.
    const stages: StageSubscription[] = [];
    // Their groups and topics, for the consumer lag metric.
    const lagSources: LagSource[] = [];
    if (services.has('resolver')) {
      const stage = createResolverStage({ codec, graph: graph!, topics, defaultRegion: config.defaultRegion, blocklists: blocklists!, consentScopes: consentScopes!, suppressed: (items) => suppressedEvents(postgres!.pool, items), metrics, logger });
      lagSources.push(stage);
      stages.push(await runStage(stage, stageOptions));
      subscriptions.push(stages.at(-1)!);
    }
    if (services.has('enrich')) {
      const aggregates = createAggregateComputer(clickhouse!, { models: createModelStore(clickhouse!), summaries: createSummaryStore(postgres!.pool),
        publishChanges: publishProfileChanges,
        sourcePriorityOf: async (tenantId) => (await graph!.tenantSettings(tenantId)).sourcePriority,
      });
      const stage = createEnrichStage({ codec, topics, writer: createWarehouseWriter(clickhouse!), aggregates, segments: segments! });
      lagSources.push(stage);
      stages.push(await runStage(stage, stageOptions));
      subscriptions.push(stages.at(-1)!);
      // Rules over time: rolling counters, decaying scores, loyalty tiers, segments, on a schedule.
      const schedule = startRecomputeSchedule({ clickhouse: clickhouse!, aggregates, segments: segments!, logger: logger.child({ component: 'schedule' }) }, config.recomputeIntervalMinutes);
      subscriptions.push(schedule);
    }

    if (lagSources.length) subscriptions.push(watchConsumerLag({ transport, metrics, logger: logger.child({ component: 'lag' }), stages: lagSources }));

    // Every process listens: ingest and api serve their routes, and every one /healthz and
    // /metrics (a resolver or enrich process on a port of its own in the distributed mode).
    let app: FastifyInstance | null = null;
    let url: string | null = null;
    if (serves || stages.length > 0) {
      let ready = false;
      const audit = postgres ? createApiAudit(postgres.pool) : null;
      app = createHttpServer({ logger, metrics, apiKeys, audit, keyStore: postgres ? createKeyStore(postgres.pool, SOURCES) : null, maxBodyBytes: config.maxBodyBytes, metricsPublic: config.metricsPublic, isReady: () => ready, stages: () => stagesHealth(stages, config.stageStuckAfterMs) });
      registerOpenApi(app);
      // Before any route: each gets the schemas of its documented query and path parameters.
      checkRouteInputs(app, routeInputsOf(OPENAPI_DOCUMENT));
      const ingest = {
        transport,
        codec,
        topics,
        metrics,
        maxEventsPerRequest: config.maxEventsPerRequest,
        maxInFlightEvents: config.maxInFlightEvents,
        maxMessageBytes: config.maxMessageBytes,
        ackTimeoutMs: config.ingestAckTimeoutMs,
        defaultRegion: config.defaultRegion,
      };
      if (services.has('ingest')) {
        registerIngestRoutes(app, ingest);
        registerSegmentRoutes(app, ingest);
        registerMessagingRoutes(app, ingest);
      }
      if (services.has('api')) {
        registerCustomerSegmentRoutes(app, { segments: segments!, clickhouse: clickhouse! });
        registerSqlEndpoint(app, { clickhouse: clickhouse! });
        registerAuditRoutes(app, { audit: audit! });
        await registerConsole(app);
        registerProfileSearch(app, { graph: graph!, pool: postgres!.pool, defaultRegion: config.defaultRegion });
        registerReviewRoutes(app, { decisions: createReviewDecisions(postgres!.pool, graph!.engine), publishChanges: publishProfileChanges });
        const history = createMetricsHistory(metrics);
        closers.push(async () => history.stop());
        registerPipelineHealth(app, { history });
        registerOrderRoutes(app, { clickhouse: clickhouse!, graph: graph! });
        registerConsentRoutes(app, { graph: graph!, ingest, scopes: consentScopes! });
        registerPrivacyRoutes(app, { privacy: createPrivacyService({ pool: postgres!.pool, clickhouse: clickhouse!, graph: graph!, publishChanges: publishProfileChanges }) });
        registerBlocklistRoutes(app, { blocklists: blocklists!, graph: graph!, defaultRegion: config.defaultRegion });
        registerProfileRoutes(app, {
          graph: graph!,
          clickhouse: clickhouse!,
          defaultRegion: config.defaultRegion,
          publishChanges: publishProfileChanges,
        });
      }
      const server = app;
      // Stop HTTP first: in-flight requests finish, new ones are refused.
      closers.push(() => server.close());
      await server.listen({ port: config.port, host: config.host });
      const address = server.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://127.0.0.1:${port}`;
      ready = true;
    }

    return {
      config,
      mode,
      services,
      url,
      apiKeys,
      devApiKey: dev,
      topics,
      transport,
      codec,
      metrics,
      postgres,
      clickhouse,
      app,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
