/**
 * What the resolver scores a tenant's records with: the frequencies of its values (names, full
 * names, cities, postcodes, email domains) counted over its stored person records, u estimated
 * from a random sample of them, and the number of its profiles (the prior odds that a record is
 * one of them). Read from Postgres and kept for a while: a batch is scored against one snapshot.
 */
import type pg from 'pg';
import type { PersonRecord } from '../fuzzy/person.ts';
import { seededRandom } from '../../ingest/demo-data.ts';
import { frequencyTableOf, type TfField } from './frequencies.ts';
import { LINK_PROBABILITY, REVIEW_PROBABILITY, createScorer, estimateModel, type Scorer } from './entity-score.ts';
import { matchRecord } from './record.ts';

export interface TenantMatching {
  scorer: Scorer;
  /** The tenant's profiles when the snapshot was taken. */
  entities: number;
  /** Probabilities (of the record being the profile) to link at, and to suggest a review from. */
  linkThreshold: number;
  reviewThreshold: number;
}

/** Without thresholds of its own, a tenant links at a probability of 0.99 and suggests reviews from 0.8. */
export const DEFAULT_THRESHOLDS = { linkThreshold: LINK_PROBABILITY, reviewThreshold: REVIEW_PROBABILITY };

/** Person records sampled for u. */
const SAMPLE = 4000;

/** Each term-frequency field as an SQL expression over person_records.record. */
const FIELD_SQL: Record<TfField, string> = {
  given: "record->>'given'",
  surname: "record->>'surname'",
  fullName: "(record->>'given') || '|' || (record->>'surname')",
  city: "record->>'city'",
  postcode: "record->>'postcode'",
  emailDomain: "nullif(split_part(record->>'email', '@', 2), '')",
};

export async function loadTenantMatching(
  client: pg.PoolClient | pg.Pool,
  tenantId: string,
  thresholds: { linkThreshold: number; reviewThreshold: number } = DEFAULT_THRESHOLDS,
): Promise<TenantMatching> {
  const counts: Partial<Record<TfField, Map<string, number>>> = {};
  const { rows } = await client.query<{ field: TfField; value: string; n: string }>(
    (Object.entries(FIELD_SQL) as [TfField, string][])
      .map(([field, sql]) => `SELECT '${field}' AS field, v AS value, count(*) AS n FROM (SELECT ${sql} AS v FROM person_records WHERE tenant_id = $1) f WHERE v IS NOT NULL GROUP BY v`)
      .join(' UNION ALL '),
    [tenantId],
  );
  for (const r of rows) (counts[r.field] ??= new Map()).set(r.value, Number(r.n));
  const sample = await client.query<{ record: PersonRecord }>(
    'SELECT record FROM person_records WHERE tenant_id = $1 ORDER BY md5(fingerprint) LIMIT $2',
    [tenantId, SAMPLE],
  );
  const entities = await client.query<{ n: string }>('SELECT count(*) AS n FROM profiles WHERE tenant_id = $1 AND merged_into IS NULL', [tenantId]);
  const model = estimateModel(sample.rows.map((r) => matchRecord(r.record)), seededRandom(360), 50_000);
  return { scorer: createScorer(model, frequencyTableOf(counts)), entities: Number(entities.rows[0]!.n), ...thresholds };
}
