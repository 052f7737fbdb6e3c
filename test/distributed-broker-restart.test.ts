/**
 * The distributed mode as separate processes (ingest in two processes, two resolvers in one
 * group, enrich with the read API) on an Apache Kafka of its own, which is killed with SIGKILL
 * under a steady load and started again on the same log folder and ports, as after a crash.
 * Meanwhile ingest answers 503 with Retry-After; afterwards the warehouse holds every event
 * acknowledged before, during and after, once each, with the order totals exact. Prints the
 * acknowledged, lost and duplicated counts and the time to recover. On a machine without Java
 * the broker is librdkafka's mock cluster (connections dropped and refused), and the run says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutageBroker, type OutageBroker } from './support/outage-broker.ts';
import { waitFor } from './support/engines.ts';
import { checkWarehouse, startOrderLoad, startProcessCluster, warehouseSql, type ProcessCluster } from './support/processes.ts';

describe('the distributed mode across a broker crash', () => {
  let broker: OutageBroker;
  let cluster: ProcessCluster;

  beforeAll(async () => {
    broker = await startOutageBroker();
    cluster = await startProcessCluster(broker.brokers);
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
    await broker?.stop();
  });

  it('refuses with 503 and Retry-After while the broker is down, and loses nothing acknowledged', async () => {
    const warehouse = await cluster.start('enrich+api', 'enrich,api');
    const ingest = await cluster.start('ingest', 'ingest', { C360_INGEST_PROCESSES: '2', C360_INGEST_ACK_TIMEOUT_MS: '1500' });
    await cluster.start('resolver A', 'resolver');
    await cluster.start('resolver B', 'resolver');
    const load = startOrderLoad(ingest.url);
    const sql = warehouseSql(warehouse.url);
    const inWarehouse = async () => Number((await sql('SELECT uniqExact(event_id) AS n FROM events')).n);

    await waitFor(async () => (await inWarehouse()) >= 500, 120_000, 'events in the warehouse before the crash');
    await broker.down();
    const downAt = Date.now();
    const refusedBefore = load.refusals.length;
    await new Promise((r) => setTimeout(r, 8000));
    const whileDown = load.refusals.slice(refusedBefore);
    await broker.up();
    const upAt = Date.now();
    const atRestart = load.accepted.size;
    await waitFor(async () => load.accepted.size > atRestart, 120_000, 'a first event accepted after the restart');
    const acceptingAt = Date.now();
    await waitFor(async () => (await inWarehouse()) >= atRestart + 200, 180_000, 'events in the warehouse after the restart');
    const recoveredAt = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    await load.stop();

    const check = await checkWarehouse(warehouse.url, load.accepted);
    process.stdout.write(
      `broker crash under load (${broker.real ? 'Apache Kafka, kill -9 and restart on its log' : 'mock cluster'}): ${check.acknowledged} acknowledged, ${check.lost} lost, ` +
        `${check.doubled} applied twice, ${check.unacknowledged} written though the answer was a refusal (the client resends those), ${whileDown.length} requests refused while down (${whileDown.filter((r) => r.status === 503 && r.retryAfter).length} with 503 and Retry-After), ` +
        `down ${((upAt - downAt) / 1000).toFixed(1)} s, accepting again ${((acceptingAt - upAt) / 1000).toFixed(1)} s and the pipeline through ${((recoveredAt - upAt) / 1000).toFixed(1)} s after the restart\n`,
    );
    // While the broker was down, requests were refused with a status to retry on.
    expect(whileDown.length).toBeGreaterThan(0);
    for (const refusal of whileDown) {
      expect([429, 503]).toContain(refusal.status);
      expect(refusal.retryAfter).not.toBeNull();
    }
    expect(whileDown.some((r) => r.status === 503)).toBe(true);
    expect(check.lost).toBe(0);
    expect(check.doubled).toBe(0);
    expect(check.revenue).toBeCloseTo(check.expectedRevenue, 2);
    expect(check.profiles).toBe(50);
  }, 600_000);
});
