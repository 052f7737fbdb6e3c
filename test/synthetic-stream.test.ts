/**
 * The resolver on a synthetic multi-source stream with ground truth (households sharing a
 * landline or an inbox, typos, guest checkouts, walk-ins promoted to accounts, junk identifiers,
 * cash sales), on Postgres, four events at a time: no two auth user IDs in one profile, and
 * pairwise precision at least 0.999.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../platform/migrate.ts';
import { postgresMigrations } from '../app/migrations.ts';
import { createGraphStore } from '../resolver/graph-store.ts';
import { extractIdentifiers } from '../resolver/identifiers.ts';
import { clusteringQuality } from '../resolver/fuzzy/metrics.ts';
import { syntheticStream } from '../resolver/synthetic.ts';
import { createTestDatabase, uniqueName, type TestDatabase } from './support/engines.ts';

describe('synthetic multi-source stream', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await migratePostgres(db.pool, postgresMigrations());
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('never glues different people: precision >= 0.999, no profile with two auth user IDs', async () => {
    const tenant = uniqueName('syn');
    const stream = syntheticStream({ households: 150, tenant });
    const graph = createGraphStore(db.pool);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        // Batches of 25 events, as the resolver stage takes them from each partition.
        while (next < stream.length) {
          const part = stream.slice(next, next + 25);
          next += part.length;
          await graph.resolveBatch(part.map(({ event }) => ({ event, identifiers: extractIdentifiers(event, 'US').identifiers })));
        }
      }),
    );
    const { rows } = await db.pool.query<{ event_id: string; current: string }>(
      `SELECT l.event_id, COALESCE(p.merged_into, p.customer360_id) AS current FROM event_links l
         JOIN profiles p ON p.tenant_id = l.tenant_id AND p.customer360_id = l.customer360_id WHERE l.tenant_id = $1`,
      [tenant],
    );
    const profileOf = new Map(rows.map((r) => [r.event_id, r.current]));
    const predicted = stream.map((t) => profileOf.get(t.event.event_id)!);
    const truth = stream.map((t) => t.person ?? `cash-${t.event.event_id}`);
    const quality = clusteringQuality(predicted, truth);
    // Printed for the record: the figures of this run.
    console.log(
      `synthetic stream: ${stream.length} events of ${new Set(truth).size} people -> ${new Set(predicted).size} profiles; ` +
        `pairwise precision ${quality.pairs.precision.toFixed(4)}, recall ${quality.pairs.recall.toFixed(4)}, B-cubed F1 ${quality.bcubed.f1.toFixed(4)}`,
    );
    expect(quality.pairs.precision).toBeGreaterThanOrEqual(0.999);
    // Recall is bounded by the data: a mobile or a shared inbox seen with nothing else cannot be attributed.
    expect(quality.pairs.recall).toBeGreaterThan(0.7);

    // No profile holds two auth user IDs, and the households' shared numbers were refused as merge keys.
    const auth = await db.pool.query(
      `SELECT COALESCE(p.merged_into, p.customer360_id) AS current, count(DISTINCT i.value)::int AS n FROM identifiers i
         JOIN profiles p ON p.tenant_id = i.tenant_id AND p.customer360_id = i.customer360_id
        WHERE i.tenant_id = $1 AND i.type = 'auth_user_id' GROUP BY 1 HAVING count(DISTINCT i.value) > 1`,
      [tenant],
    );
    expect(auth.rows).toEqual([]);
    const authOfEvent = new Map(stream.filter((t) => t.event.identity.auth_user_id).map((t) => [t.event.event_id, t.event.identity.auth_user_id]));
    const authPerProfile = new Map<string, Set<string>>();
    for (const [eventId, id] of authOfEvent) {
      const set = authPerProfile.get(profileOf.get(eventId)!) ?? new Set();
      set.add(id!);
      authPerProfile.set(profileOf.get(eventId)!, set);
    }
    expect([...authPerProfile.values()].filter((s) => s.size > 1)).toEqual([]);
    const refused = await db.pool.query('SELECT reason, count(*)::int AS n FROM blocked_merges WHERE tenant_id = $1 GROUP BY reason', [tenant]);
    expect(refused.rows.map((r) => r.reason)).toContain('shared phone or email, different given names');
    // Junk typed at the till never became an identifier.
    const junk = await db.pool.query("SELECT count(*)::int AS n FROM identifiers WHERE tenant_id = $1 AND value IN ('test@test.com', '+10000000000')", [tenant]);
    expect(junk.rows[0].n).toBe(0);
  }, 180_000);
});
