/**
 * Which failures the stage runner retries (an engine down) and which it takes for bad data;
 * and the state a stage reports while it retries.
 */
import net from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { describeFailure, isRetriable } from '../../platform/failures.ts';
import { createMetrics } from '../../platform/metrics.ts';
import { createStageHealth, stagesHealth } from '../../platform/stage-health.ts';
import { TransportUnavailableError } from '../../platform/transport.ts';

const pgError = (code: string, message = 'server error') => Object.assign(new Error(message), { code, severity: 'ERROR' });
const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });

describe('isRetriable', () => {
  it.each([
    ['a connection refused', systemError('ECONNREFUSED')],
    ['a connection reset', systemError('ECONNRESET')],
    ['a timeout', systemError('ETIMEDOUT')],
    ['all addresses refused (AggregateError)', new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')], 'connect failed')],
    ['fetch failing on a refused connection', new TypeError('fetch failed', { cause: systemError('ECONNREFUSED') })],
    ['Postgres shutting down (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['Postgres starting (57P03)', pgError('57P03', 'the database system is starting up')],
    ['too many connections (53300)', pgError('53300')],
    ['a lost connection (08006)', pgError('08006')],
    ['a serialization failure (40001)', pgError('40001')],
    ['a deadlock (40P01)', pgError('40P01')],
    ['an I/O error (58030)', pgError('58030')],
    ['node-postgres losing the connection', new Error('Connection terminated unexpectedly')],
    ['pg-pool timing out', new Error('timeout exceeded when trying to connect')],
    ['ClickHouse out of memory', Object.assign(new Error('Memory limit exceeded'), { code: '241', type: 'MEMORY_LIMIT_EXCEEDED' })],
    ['@clickhouse/client timing out', new Error('Timeout error.')],
    ['a registry answering 503', Object.assign(new Error('Service Unavailable'), { status: 503 })],
    ['an error flagged retriable', Object.assign(new Error('x'), { retriable: true })],
    ['the transport unavailable', new TransportUnavailableError('embedded log unavailable')],
    [
      "KafkaJS's retries exceeded on a connection error",
      Object.assign(new Error('Connection timeout'), {
        name: 'KafkaJSNumberOfRetriesExceeded',
        retriable: false,
        originalError: Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError', retriable: true }),
      }),
    ],
  ])('retries %s', (_what, error) => {
    expect(isRetriable(error)).toBe(true);
  });

  it.each([
    ['a TypeError of the code', new TypeError('list.map is not a function')],
    ['a RangeError', new RangeError('Invalid time value')],
    ['a plain error', new Error('something unexpected')],
    ['a unique violation (23505)', pgError('23505')],
    ['an untranslatable character (22P05)', pgError('22P05')],
    ['an index row too big (54000)', pgError('54000')],
    ['a ClickHouse parse error', Object.assign(new Error('Cannot parse input'), { code: '27', type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED' })],
    ['a registry answering 404', Object.assign(new Error('Schema not found'), { status: 404 })],
    ['an error flagged not retriable', Object.assign(new Error('x'), { retriable: false, cause: systemError('ECONNREFUSED') })],
    ['a TypeError caused by a TypeError', new TypeError('outer', { cause: new TypeError('inner') })],
    ['not an error', 'boom'],
    ['null', null],
  ])('does not retry %s', (_what, error) => {
    expect(isRetriable(error)).toBe(false);
  });

  it('retries what node-postgres throws when nothing listens on the port', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'x', database: 'x', connectionTimeoutMillis: 2000 });
    const error = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeNull();
    expect(isRetriable(error)).toBe(true);
  });

  it('describes a failure on one line, with its name', () => {
    expect(describeFailure(new TypeError('list.map\nis not a function'))).toBe('TypeError: list.map is not a function');
    expect(describeFailure(new Error('x'.repeat(600)))).toHaveLength(500);
    expect(describeFailure('boom')).toBe('boom');
  });
});

describe('stage health', () => {
  it('reports retrying since the first failure, with the attempts and the last error, in /healthz and the gauges', async () => {
    let now = 1_000_000;
    const metrics = createMetrics();
    const health = createStageHealth('resolver', metrics, () => now);
    const gauge = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.stage === 'resolver')?.value;
    expect(health.status()).toMatchObject({ state: 'idle', attempts: 0, error: null });
    expect(await gauge('c360_stage_last_progress_timestamp_seconds')).toBe(1000);

    health.batchStarted();
    now += 100;
    health.retrying(systemError('ECONNREFUSED'));
    now += 400;
    health.retrying(pgError('57P03', 'the database system is starting up'));
    expect(health.status()).toEqual({ state: 'retrying', since: 1_000_100, attempts: 2, error: 'the database system is starting up (57P03)', lastProgressAt: 1_000_000 });
    expect(await gauge('c360_stage_retrying')).toBe(1);
    expect(await gauge('c360_stage_retry_attempts')).toBe(2);
    const stage = { name: 'resolver', status: () => health.status() };
    expect(stagesHealth([stage], 1000, now).degraded).toBe(false);
    now += 600;
    const report = stagesHealth([stage], 1000, now);
    expect(report.degraded).toBe(true);
    expect(report.stages.resolver).toEqual({
      state: 'retrying',
      since: new Date(1_000_100).toISOString(),
      attempts: 2,
      error: 'the database system is starting up (57P03)',
      last_progress_at: new Date(1_000_000).toISOString(),
    });

    health.recovered();
    health.progressed();
    health.idle();
    expect(health.status()).toMatchObject({ state: 'idle', attempts: 0, error: null, lastProgressAt: now });
    expect(await gauge('c360_stage_retrying')).toBe(0);
    expect(await gauge('c360_stage_last_progress_timestamp_seconds')).toBe(now / 1000);
    expect(stagesHealth([stage], 1000, now + 10_000).degraded).toBe(false);
  });

  it('is degraded by one batch running longer than the threshold, not by a stage idle that long', () => {
    let now = 0;
    const health = createStageHealth('enrich', createMetrics(), () => now);
    const stage = { name: 'enrich', status: () => health.status() };
    now = 5000;
    expect(stagesHealth([stage], 1000, now).degraded).toBe(false);
    health.batchStarted();
    expect(stagesHealth([stage], 1000, now + 999).degraded).toBe(false);
    expect(stagesHealth([stage], 1000, now + 1000).degraded).toBe(true);
  });
});
