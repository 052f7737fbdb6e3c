/**
 * The data set of the read API bench, seeded straight into the engines: the identity graph in
 * Postgres, the warehouse (profiles, aggregates, a segment and its members) in ClickHouse, the
 * serving copy of the aggregates in Postgres; then the engines settled as a running deployment's.
 */
import type { Runtime } from '../../app/runtime.ts';
import { createSummaryStore, NO_AGGREGATES } from '../../enrich/summaries.ts';
import type { ProfileAggregates } from '../../enrich/aggregate-fields.ts';
import type { Scores } from '../../enrich/score-profiles.ts';
import { num, seedIdentifiers, sleep, type Progress } from '../util.ts';
import { EXPORT_SEGMENT, TENANT } from './constants.ts';

const GIVEN = ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth', 'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen'];
const CITIES = ['Oakland', 'Fresno', 'Austin', 'Denver', 'Boston', 'Seattle', 'Portland', 'Tucson', 'Omaha', 'Raleigh', 'Miami', 'Tulsa'];
const sqlList = (items: string[]) => `[${items.map((s) => `'${s}'`).join(', ')}]`;

/**
 * Person i of the graph: profile md5('p' || i)::uuid with person{i}@mail.test and
 * +1415{2000000 + i}, names and a city as survived traits. The same IDs as the warehouse seed.
 */
export async function seedGraph(runtime: Runtime, profiles: number, progress: Progress): Promise<number> {
  const pool = runtime.postgres!.pool;
  const started = performance.now();
  const at = Date.now() - 86_400_000;
  for (let from = 0; from < profiles; from += 250_000) {
    const to = Math.min(profiles, from + 250_000) - 1;
    await pool.query(
      `INSERT INTO profiles (tenant_id, customer360_id, created_at, updated_at, version, traits)
       SELECT $1, md5('p' || i)::uuid, now() - interval '400 days', now() - interval '1 day', 1,
              jsonb_build_object(
                'first_name', jsonb_build_object('value', ($4::text[])[1 + i % array_length($4::text[], 1)], 'at', $6::bigint, 'source', 'crm'),
                'last_name', jsonb_build_object('value', 'Name' || i, 'at', $6::bigint, 'source', 'crm'),
                'city', jsonb_build_object('value', ($5::text[])[1 + i % array_length($5::text[], 1)], 'at', $6::bigint, 'source', 'crm'))
         FROM generate_series($2::int, $3::int) AS i`,
      [TENANT, from, to, GIVEN, CITIES, at],
    );
    await seedIdentifiers(pool, TENANT, from, to);
    progress.note(`graph: ${num(to + 1)} of ${num(profiles)} profiles`);
  }
  await pool.query('ANALYZE profiles; ANALYZE identifiers');
  return (performance.now() - started) / 1000;
}

/**
 * People `from` to `from + count - 1` as ClickHouse rows (i, id): the profile ID md5('p' || i)
 * as a UUID, the graph seed's IDs. `from` and `count` are SQL (literals or query parameters).
 */
const personIds = (from: string, count: string) =>
  `(SELECT number AS i, toUUID(concat(substring(h, 1, 8), '-', substring(h, 9, 4), '-', substring(h, 13, 4), '-', substring(h, 17, 4), '-', substring(h, 21, 12))) AS id
    FROM (SELECT number, lower(hex(MD5(concat('p', toString(number))))) AS h FROM numbers(${from}, ${count})))`;

/**
 * The warehouse side of `members` people (the first `--profiles` of them are the graph's): a
 * profile row, an aggregates row (1-4 orders, revenue 10-89, below the effect segment's 100;
 * email consent granted for even i, revoked for odd), and membership of one segment holding
 * them all, each with one INSERT ... SELECT FROM numbers(N).
 */
export async function seedWarehouse(runtime: Runtime, members: number, progress: Progress): Promise<number> {
  const ch = runtime.clickhouse!;
  const db = ch.database;
  const started = performance.now();
  const ids = personIds('0', '{n:UInt64}');
  const params = { t: TENANT, n: members };
  await ch.client.command({
    query: `INSERT INTO ${db}.profiles (tenant_id, customer360_id, version, created_at, changed_at, primary_email, emails, primary_phone, phones, first_name, last_name, city, country, traits)
            SELECT {t:String}, id, 1, now64(3) - INTERVAL 400 DAY, now64(3) - INTERVAL 1 DAY,
                   concat('person', toString(i), '@mail.test'), [concat('person', toString(i), '@mail.test')],
                   concat('+1415', leftPad(toString(2000000 + i % 7000000), 7, '0')), [concat('+1415', leftPad(toString(2000000 + i % 7000000), 7, '0'))],
                   ${sqlList(GIVEN)}[1 + i % ${GIVEN.length}], concat('Name', toString(i)), ${sqlList(CITIES)}[1 + i % ${CITIES.length}], 'US',
                   map('city', ${sqlList(CITIES)}[1 + i % ${CITIES.length}], 'bench', 'export')
            FROM ${ids}`,
    query_params: params,
  });
  progress.note(`warehouse: ${num(members)} profiles`);
  await ch.client.command({
    query: `INSERT INTO ${db}.profile_aggregates (tenant_id, customer360_id, orders_count, total_revenue, average_order_value, net_revenue,
                                                  first_seen_at, last_seen_at, first_purchase_at, last_purchase_at, events_count, interactions_count,
                                                  last_channel, consent, spend_12m, ltv, lifecycle_stage, loyalty_tier, loyalty_points, computed_at)
            SELECT {t:String}, id, orders, revenue, revenue / orders, revenue,
                   now64(3) - INTERVAL 400 DAY, now64(3) - INTERVAL (i % 300) DAY, now64(3) - INTERVAL 400 DAY, now64(3) - INTERVAL (i % 300) DAY,
                   orders * 3, orders * 3, 'pos', if(i % 2 = 0, map('email', 'granted'), map('email', 'revoked')), revenue, revenue * 1.5,
                   'CUSTOMER', 'BRONZE', toUInt64(revenue), now64(3) - INTERVAL 1 DAY
            FROM (SELECT i, id, toUInt32(1 + i % 4) AS orders, toFloat64(10 + i % 80) AS revenue FROM ${ids})`,
    query_params: params,
  });
  progress.note(`warehouse: ${num(members)} aggregates`);
  await ch.client.insert({
    table: `${db}.segments`,
    format: 'JSONEachRow',
    values: [
      {
        tenant_id: TENANT,
        segment_id: EXPORT_SEGMENT,
        name: 'Everyone seeded by the bench',
        priority: 100,
        rule: JSON.stringify({ all: [{ field: 'traits.bench', op: '=', value: 'export' }] }),
        deleted: false,
        changed_at: new Date(Date.now() - 86_400_000).toISOString().replace('T', ' ').replace('Z', ''),
      },
    ],
  });
  await ch.client.command({
    query: `INSERT INTO ${db}.segment_membership (tenant_id, segment_id, customer360_id, is_member, changed_at)
            SELECT {t:String}, {s:String}, id, true, now64(3) - INTERVAL 1 DAY FROM ${ids}`,
    query_params: { ...params, s: EXPORT_SEGMENT },
  });
  progress.note(`warehouse: ${num(members)} members of segment ${EXPORT_SEGMENT}`);
  return (performance.now() - started) / 1000;
}

/**
 * The serving copy in Postgres of the graph's profiles' aggregates, as enrich writes it: read
 * back from the warehouse and written through the product's summary store, 10,000 at a time.
 */
export async function seedSummaries(runtime: Runtime, profiles: number, progress: Progress): Promise<number> {
  const ch = runtime.clickhouse!;
  const summaries = createSummaryStore(runtime.postgres!.pool);
  const started = performance.now();
  const page = 10_000;
  for (let from = 0; from < profiles; from += page) {
    const to = Math.min(profiles, from + page);
    const rows = await (
      await ch.client.query({
        query: `SELECT toString(customer360_id) AS customer360_id, ${Object.keys(NO_AGGREGATES).join(', ')}
                FROM ${ch.database}.profile_aggregates FINAL
                WHERE tenant_id = {t:String} AND customer360_id IN (SELECT id FROM ${personIds('{from:UInt64}', '{n:UInt64}')})`,
        query_params: { t: TENANT, from, n: to - from },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
    ).json<ProfileAggregates & Scores>();
    await summaries.write(TENANT, rows, new Date());
    progress.note(`serving copy: ${num(to)} of ${num(profiles)} profiles`);
  }
  await runtime.postgres!.pool.query('ANALYZE profile_summaries');
  return (performance.now() - started) / 1000;
}

/**
 * After seeding, what a running deployment has long done: Postgres tables vacuumed and analyzed,
 * and chDB's background merges of the million-row inserts finished (at most `SETTLE_MERGES_S`),
 * so they do not share the CPU with the lookups.
 */
const SETTLE_MERGES_S = 120;
export async function settleEngines(runtime: Runtime, progress: Progress): Promise<void> {
  await runtime.postgres!.pool.query('VACUUM (ANALYZE) profiles, identifiers, profile_summaries, consent_records');
  const ch = runtime.clickhouse!;
  const deadline = Date.now() + SETTLE_MERGES_S * 1000;
  for (;;) {
    const [row] = await (await ch.client.query({ query: 'SELECT toUInt32(count()) AS n FROM system.merges', format: 'JSONEachRow' })).json<{ n: number }>();
    if (!row || Number(row.n) === 0 || Date.now() > deadline) break;
    progress.set(() => `waiting for ${row.n} ClickHouse merge(s) to finish before the lookups`);
    await sleep(1000);
  }
  progress.stop();
}
