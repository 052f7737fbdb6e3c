/**
 * `npm run bench:resolver`: events per second through the resolver's identity graph with a
 * large graph already in place (default 1,000,000 profiles, each with an email and a phone),
 * the way the resolver stage drives it: events keyed and partitioned as ingest does, each of
 * `--partitions` partitions resolved in order in batches of `--batch` events beside the others,
 * each batch made durable with one flush. Reports events per second, p50/p99 batch
 * latency, peak memory, and what share of events linked to an existing profile.
 *
 * Postgres: DATABASE_URL, else an embedded Postgres in a temporary folder (removed afterwards).
 * Seeding a million profiles takes a minute or two and is not measured.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../platform/logger.ts';
import { startPostgres } from '../platform/postgres.ts';
import { migratePostgres } from '../platform/migrate.ts';
import { postgresMigrations } from '../app/migrations.ts';
import { createGraphStore } from '../resolver/graph-store.ts';
import { extractIdentifiers } from '../resolver/identifiers.ts';
import { partitionKey } from '../ingest/routes.ts';
import { seededRandom } from '../platform/random.ts';
import type { RawEvent } from '../schemas/types.ts';
import { MemorySampler, freePort, median, mib, num, percentile, seedIdentifiers } from './util.ts';

const { values } = parseArgs({
  options: {
    profiles: { type: 'string', default: '1000000' },
    events: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
    partitions: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
  },
});
const profiles = Number(values.profiles);
const eventsPerRun = Number(values.events);
const batchSize = Number(values.batch);
const partitions = Number(values.partitions);
const runs = Number(values.runs);
const TENANT = 'bench';

const emailOf = (i: number) => `person${i}@mail.test`;
// Names that vary like real ones: common given names, surnames of two or three syllables drawn
// by the person's number (about 200,000 of them, so some are shared, like real surnames), a few
// cities.
const GIVEN = ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth', 'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Daniel', 'Nancy', 'Matthew', 'Lisa', 'Anthony', 'Betty', 'Mark', 'Sandra', 'Paul', 'Ashley'];
const SYLLABLES = ['ba', 'ke', 'li', 'mo', 'nu', 'ra', 'se', 'ti', 'vo', 'za', 'dor', 'fen', 'gil', 'har', 'jun', 'kel', 'lom', 'mar', 'nes', 'pol', 'quin', 'rud', 'sto', 'tav', 'ull', 'wick', 'yar', 'zen', 'bre', 'cha', 'dro', 'eng', 'fro', 'gla', 'hob', 'ing', 'jas', 'kro', 'lun', 'mik', 'nor', 'ost', 'pry', 'rob', 'shaw', 'tor', 'ven', 'wal', 'xan', 'yel', 'bur', 'cal', 'dun', 'ell', 'fitz', 'gor', 'ham', 'ives', 'jen', 'kin'];
const CITIES = ['Oakland', 'Fresno', 'Austin', 'Denver', 'Boston', 'Seattle', 'Portland', 'Tucson', 'Omaha', 'Raleigh', 'Miami', 'Tulsa'];
function surnameOf(i: number): string {
  const random = seededRandom(i + 1);
  const parts = Array.from({ length: 2 + Math.floor(random() * 2) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]!);
  const name = parts.join('');
  return name[0]!.toUpperCase() + name.slice(1);
}
const phoneOf = (i: number) => `+1415${String(2_000_000 + (i % 7_000_000)).padStart(7, '0')}`;

async function main(): Promise<void> {
  const logger = createLogger('warn', process.stderr);
  const memory = new MemorySampler();
  memory.start();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-bench-resolver-'));
  const postgres = await startPostgres({ databaseUrl: process.env.DATABASE_URL ?? '', dataDir, port: await freePort(), logger, database: 'c360_bench_resolver' });
  try {
    const pool = postgres.pool;
    await migratePostgres(pool, postgresMigrations());
    const existing = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM profiles WHERE tenant_id = $1', [TENANT]);
    if (existing.rows[0]!.n < profiles) {
      const started = performance.now();
      process.stderr.write(`seeding ${num(profiles)} profiles with an email and a phone each...\n`);
      await pool.query('DELETE FROM identifiers WHERE tenant_id = $1', [TENANT]);
      await pool.query('DELETE FROM profiles WHERE tenant_id = $1', [TENANT]);
      for (let from = 0; from < profiles; from += 250_000) {
        const to = Math.min(profiles, from + 250_000) - 1;
        await pool.query(
          `INSERT INTO profiles (tenant_id, customer360_id, created_at, updated_at, version, traits)
           SELECT $1, md5('p' || i)::uuid, now() - interval '1 day', now() - interval '1 day', 1, '{}' FROM generate_series($2::int, $3::int) AS i`,
          [TENANT, from, to],
        );
        await seedIdentifiers(pool, TENANT, from, to);
        process.stderr.write(`  ${num(to + 1)} profiles\n`);
      }
      await pool.query('ANALYZE profiles; ANALYZE identifiers');
      process.stderr.write(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    }

    const graph = createGraphStore(pool);
    // The resolver builds the tenant's state in memory on its first event: timed apart.
    const heapBefore = process.memoryUsage().heapUsed;
    const buildStarted = performance.now();
    const warm: RawEvent = {
      event_id: `bench-warm-${Date.now()}`,
      tenant_id: TENANT,
      source: 'web',
      type: 'page_viewed',
      occurred_at: Date.UTC(2026, 0, 1),
      received_at: Date.UTC(2026, 0, 1),
      identity: { auth_user_id: null, email: emailOf(0), phone: null, anonymous_id: null, source_record_id: null },
      traits: {},
      properties: {},
    };
    await graph.resolveBatch([{ event: warm, identifiers: extractIdentifiers(warm, 'US').identifiers }]);
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    const heldBytes = process.memoryUsage().heapUsed - heapBefore;
    process.stderr.write(`tenant state of ${num(profiles)} profiles built in ${buildSeconds.toFixed(1)} s, about ${mib(heldBytes)} of heap\n`);
    const random = seededRandom(7);
    const results: { eventsPerSecond: number; p50: number; p99: number; linked: number }[] = [];
    for (let run = 1; run <= runs; run++) {
      // 70% known people (by email, by phone, or both), 30% new ones; a name on half of them.
      const events: RawEvent[] = Array.from({ length: eventsPerRun }, (_, k) => {
        const known = random() < 0.7;
        const i = known ? Math.floor(random() * profiles) : profiles + run * eventsPerRun + k;
        const pick = random();
        const at = Date.UTC(2026, 0, 1) + k;
        return {
          event_id: `bench-${run}-${k}-${Date.now()}`,
          tenant_id: TENANT,
          source: 'web',
          type: 'page_viewed',
          occurred_at: at,
          received_at: at,
          identity: {
            auth_user_id: null,
            email: pick < 0.7 ? emailOf(i) : null,
            phone: pick >= 0.4 ? phoneOf(i) : null,
            anonymous_id: null,
            source_record_id: null,
          },
          traits: (random() < 0.5 ? { first_name: GIVEN[i % GIVEN.length], last_name: surnameOf(i), city: CITIES[i % CITIES.length] } : {}) as RawEvent['traits'],
          properties: {},
        };
      });
      // Partitioned as ingest keys them (by tenant: the bench's one tenant is one partition, as
      // on Kafka); each partition is resolved in order, batch after batch, beside the others.
      const byPartition: RawEvent[][] = Array.from({ length: partitions }, () => []);
      for (const event of events) byPartition[createHash('md5').update(partitionKey(event)).digest().readUInt32BE(0) % partitions]!.push(event);
      const latencies: number[] = [];
      let linked = 0;
      const started = performance.now();
      await Promise.all(
        byPartition.map(async (stream) => {
          for (let b = 0; b < stream.length; b += batchSize) {
            const batch = stream.slice(b, b + batchSize);
            const t0 = performance.now();
            const resolved = await graph.resolveBatch(batch.map((event) => ({ event, identifiers: extractIdentifiers(event, 'US').identifiers })));
            linked += resolved.filter((r) => r.rule !== 'new_profile').length;
            await graph.flush();
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      results.push({ eventsPerSecond: events.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), linked: linked / events.length });
      process.stderr.write(`run ${run}/${runs}: ${num(events.length / seconds)} ev/s, batch p50 ${num(percentile(latencies, 50))} ms, p99 ${num(percentile(latencies, 99))} ms\n`);
    }
    memory.sample();
    const m = (f: (r: (typeof results)[number]) => number) => median(results.map(f));
    process.stdout.write(
      [
        '',
        `| resolver, ${num(profiles)} profiles in the graph, ${partitions} partitions x batches of ${batchSize} | median of ${runs} runs |`,
        '| --- | ---: |',
        `| events per second | ${num(m((r) => r.eventsPerSecond))} |`,
        `| batch latency p50 / p99 | ${num(m((r) => r.p50))} / ${num(m((r) => r.p99))} ms |`,
        `| events linked to an existing profile | ${(100 * m((r) => r.linked)).toFixed(0)}% |`,
        `| peak RSS of the bench process / with Postgres | ${mib(memory.peakOwn())} / ${mib(memory.peakTotal)} |`,
        `| tenant state built in memory on first use | ${buildSeconds.toFixed(1)} s, about ${mib(heldBytes)} of heap (${num(heldBytes / profiles)} bytes per profile) |`,
        '',
        'Target of the product: 20,000 events per second with batches looked up in a few queries.',
        `${JSON.stringify({ bench: 'c360-resolver', profiles, partitions, batch: batchSize, buildSeconds, heldBytes, runs: results })}`,
        '',
      ].join('\n'),
    );
  } finally {
    memory.stop();
    await postgres.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench:resolver failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
