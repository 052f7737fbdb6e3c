/** Prometheus metrics of one process, served at GET /metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  stageMessages: Counter<'stage' | 'outcome'>;
  stageBatchSeconds: Histogram<'stage'>;
  deadLetters: Counter<'stage' | 'step'>;
  stageRetrying: Gauge<'stage'>;
  stageRetryAttempts: Gauge<'stage'>;
  stageLastProgress: Gauge<'stage'>;
  ingestEvents: Counter<'source' | 'outcome'>;
  blockedMerges: Counter<'reason'>;
  resolverLinks: Counter<'rule'>;
  consumerLag: Gauge<'group' | 'topic' | 'partition'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c360_' });
  return {
    registry,
    stageMessages: new Counter({
      name: 'c360_stage_messages_total',
      help: 'Messages handled by a pipeline stage, by outcome (ok, dlq, drop)',
      labelNames: ['stage', 'outcome'],
      registers: [registry],
    }),
    stageBatchSeconds: new Histogram({
      name: 'c360_stage_batch_seconds',
      help: 'Time to handle one batch, including writing its outputs',
      labelNames: ['stage'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'c360_dead_letters_total',
      help: 'Messages sent to a dead-letter topic, by stage and step',
      labelNames: ['stage', 'step'],
      registers: [registry],
    }),
    stageRetrying: new Gauge({
      name: 'c360_stage_retrying',
      help: 'Whether a pipeline stage is retrying a failure of an engine (1) or not (0); its events wait meanwhile',
      labelNames: ['stage'],
      registers: [registry],
    }),
    stageRetryAttempts: new Gauge({
      name: 'c360_stage_retry_attempts',
      help: 'Failed attempts of the retry a pipeline stage is in; 0 when it is not retrying',
      labelNames: ['stage'],
      registers: [registry],
    }),
    stageLastProgress: new Gauge({
      name: 'c360_stage_last_progress_timestamp_seconds',
      help: 'When a pipeline stage last finished a batch (or started), in seconds since the epoch',
      labelNames: ['stage'],
      registers: [registry],
    }),
    ingestEvents: new Counter({
      name: 'c360_ingest_events_total',
      help: 'Events received over HTTP, by source and outcome (accepted, rejected)',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    blockedMerges: new Counter({
      name: 'c360_blocked_merges_total',
      help: 'Merges the resolver refused, by reason (different auth user IDs, household, split, size guard)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    resolverLinks: new Counter({
      name: 'c360_resolver_links_total',
      help: 'Events linked by the resolver, by the rule that linked them',
      labelNames: ['rule'],
      registers: [registry],
    }),
    // Set when scraped, from the transport (watchConsumerLag in stage-lag.ts).
    consumerLag: new Gauge({
      name: 'c360_consumer_lag_messages',
      help: 'Messages not yet committed by a consumer group of this process, per topic and partition',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
    }),
  };
}
