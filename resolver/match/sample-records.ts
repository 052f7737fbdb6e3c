/**
 * A uniform sample of a tenant's stored person records (`person_records`), for estimating its
 * match model: reservoir sampling over the rows read in pages in primary-key order, so that no
 * more than a page and the sample are held at once however many records the tenant has.
 */
import type pg from 'pg';
import type { PersonRecord } from '../fuzzy/person.ts';

export interface RecordSample {
  records: PersonRecord[];
  /** Person records the tenant holds (all were read; `records` is a sample of them). */
  seen: number;
}

export async function sampleTenantRecords(
  pool: pg.Pool | pg.PoolClient,
  tenantId: string,
  options: { size: number; pageSize: number; random: () => number },
): Promise<RecordSample> {
  const { size, pageSize, random } = options;
  const records: PersonRecord[] = [];
  let seen = 0;
  // The key of the last row read; the first page starts below every key (the nil UUID, no fingerprint).
  let after = { id: '00000000-0000-0000-0000-000000000000', fingerprint: '' };
  for (;;) {
    const { rows } = await pool.query<{ customer360_id: string; fingerprint: string; record: PersonRecord }>(
      `SELECT customer360_id, fingerprint, record FROM person_records
        WHERE tenant_id = $1 AND (customer360_id, fingerprint) > ($2::uuid, $3::text)
        ORDER BY customer360_id, fingerprint LIMIT $4`,
      [tenantId, after.id, after.fingerprint, pageSize],
    );
    for (const row of rows) {
      // Algorithm R: the k-th row (from 0) replaces a random member with probability size / (k + 1).
      if (records.length < size) records.push(row.record);
      else {
        const j = Math.floor(random() * (seen + 1));
        if (j < size) records[j] = row.record;
      }
      seen++;
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < pageSize) break;
    after = { id: last.customer360_id, fingerprint: last.fingerprint };
  }
  return { records, seen };
}
