/**
 * The distributed mode as separate processes on the tests' Kafka broker, each started by
 * `c360 start --services ...`: ingest (two processes on one port), two resolvers in one consumer
 * group, and enrich with the read API in one process (chDB is embedded). Under a steady load one
 * resolver is killed with SIGKILL: the group rebalances, the other takes its partitions, and
 * afterwards the warehouse holds every acknowledged event once, with the order totals exact.
 * Prints the acknowledged, lost and duplicated counts and the time to recover.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { checkWarehouse, startOrderLoad, startProcessCluster, warehouseSql, type ProcessCluster, type Service } from './support/processes.ts';

describe('the distributed mode as processes on Kafka', () => {
  let cluster: ProcessCluster;

  beforeAll(async () => {
    cluster = await startProcessCluster(inject('kafkaBrokers'));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('loses and doubles nothing when a resolver is killed under load', async () => {
    const warehouse = await cluster.start('enrich+api', 'enrich,api');
    const ingest = await cluster.start('ingest', 'ingest', { C360_INGEST_PROCESSES: '2' });
    const resolvers = [await cluster.start('resolver A', 'resolver'), await cluster.start('resolver B', 'resolver')];
    /** Events a resolver process linked so far, from its own /metrics. */
    const linksOf = async (s: Service) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith('c360_resolver_links_total{')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };

    // About 1,000 orders/s from two clients.
    const load = startOrderLoad(ingest.url);
    const sql = warehouseSql(warehouse.url);
    const inWarehouse = async () => Number((await sql('SELECT uniqExact(event_id) AS n FROM events')).n);

    await waitFor(async () => (await inWarehouse()) >= 500, 120_000, 'events through the resolvers before the kill');
    // The tenant's events are one partition: kill the resolver that owns it.
    const before = await Promise.all(resolvers.map(linksOf));
    const victim = before[0]! >= before[1]! ? 0 : 1;
    const survivor = resolvers[1 - victim]!;
    const survivorBefore = before[1 - victim]!;
    resolvers[victim]!.child.kill('SIGKILL');
    const killedAt = Date.now();
    const atKill = load.accepted.size;
    await waitFor(async () => (await inWarehouse()) >= atKill + 200, 120_000, 'events resolved after the kill');
    const recoveredAt = Date.now();
    // The other one took the partition over.
    expect(await linksOf(survivor)).toBeGreaterThan(survivorBefore);
    await new Promise((r) => setTimeout(r, 2000));
    await load.stop();

    const check = await checkWarehouse(warehouse.url, load.accepted);
    process.stdout.write(
      `resolver killed under load: ${check.acknowledged} acknowledged, ${check.lost} lost, ${check.doubled} applied twice, ` +
        `${((recoveredAt - killedAt) / 1000).toFixed(1)} s until 200 more events were through the other resolver; ${check.profiles} profiles\n`,
    );
    expect(check.lost).toBe(0);
    expect(check.doubled).toBe(0);
    expect(check.unacknowledged).toBe(0);
    expect(check.revenue).toBeCloseTo(check.expectedRevenue, 2);
    expect(check.profiles).toBe(50);
  }, 600_000);
});
