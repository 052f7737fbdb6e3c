/**
 * A segment export read in pages of member IDs (ClickHouse: chDB, or CLICKHOUSE_URL): 2,500
 * members in pages of 1,000 give every member once, with one CSV header; members left
 * out by consent, deletion or a merge are skipped without ending the export early; the JSON
 * cursor walks the same ranges; another tenant's members with the same IDs never appear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, type TestClickHouse } from './support/engines.ts';
import { migrateClickHouse } from '../platform/migrate.ts';
import { clickhouseMigrations } from '../app/migrations.ts';
import { createMemberPages, exportLines } from '../api/segments.ts';

const MEMBERS = 2_500;
const PAGE = 1_000;

async function collect(lines: AsyncGenerator<string>): Promise<string[]> {
  let text = '';
  for await (const chunk of lines) text += chunk;
  return text.split('\n').filter((l) => l !== '');
}

describe('segment export in pages', () => {
  let ch: TestClickHouse;
  beforeAll(async () => {
    ch = await createTestClickHouse();
    await migrateClickHouse(ch.client, ch.database, clickhouseMigrations());
    const db = ch.database;
    const ids = `(SELECT number AS i, toUUID(concat(substring(h, 1, 8), '-', substring(h, 9, 4), '-', substring(h, 13, 4), '-', substring(h, 17, 4), '-', substring(h, 21, 12))) AS id
                  FROM (SELECT number, lower(hex(MD5(concat('m', toString(number))))) AS h FROM numbers(${MEMBERS})))`;
    for (const tenant of ['tenant_pages', 'tenant_other']) {
      // Every 10th profile merged away, every 25th deleted; consent for email granted on even i.
      await ch.client.command({
        query: `INSERT INTO ${db}.profiles (tenant_id, customer360_id, version, created_at, changed_at, primary_email, emails, merged_into, deleted)
                SELECT {t:String}, id, 1, now64(3), now64(3), concat({t:String}, '-', toString(i), '@mail.test'), [concat({t:String}, '-', toString(i), '@mail.test')],
                       if(i % 10 = 9, toUUID('00000000-0000-0000-0000-000000000001'), NULL), i % 25 = 24
                FROM ${ids}`,
        query_params: { t: tenant },
      });
      await ch.client.command({
        query: `INSERT INTO ${db}.profile_aggregates (tenant_id, customer360_id, consent, lifecycle_stage, computed_at)
                SELECT {t:String}, id, if(i % 2 = 0, map('email', 'granted'), map('email', 'revoked')), 'CUSTOMER', now64(3) FROM ${ids}`,
        query_params: { t: tenant },
      });
      await ch.client.insert({
        table: `${db}.segments`,
        format: 'JSONEachRow',
        values: [{ tenant_id: tenant, segment_id: 'all', name: 'All', priority: 1, rule: '{"all":[]}', deleted: false, changed_at: '2026-01-01 00:00:00.000' }],
      });
      await ch.client.command({
        query: `INSERT INTO ${db}.segment_membership (tenant_id, segment_id, customer360_id, is_member, changed_at) SELECT {t:String}, 'all', id, true, now64(3) FROM ${ids}`,
        query_params: { t: tenant },
      });
    }
  });
  afterAll(async () => {
    await ch?.drop();
  });

  const expected = (channel?: string) =>
    Array.from({ length: MEMBERS }, (_, i) => i)
      .filter((i) => i % 10 !== 9 && i % 25 !== 24 && (channel === undefined || i % 2 === 0))
      .map((i) => `tenant_pages-${i}@mail.test`)
      .sort();

  it('streams every active member once, page after page, with one CSV header', async () => {
    const csv = await collect(exportLines(createMemberPages(ch, 'tenant_pages', 'all', undefined), 'csv', PAGE));
    expect(csv[0]).toBe('"customer360_id","primary_email","primary_phone","first_name","last_name","lifecycle_stage"');
    const rows = csv.slice(1).map((l) => l.split(','));
    const ids = rows.map((r) => r[0]!);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rows.map((r) => r[1]!.replaceAll('"', '')).sort()).toEqual(expected());

    const ndjson = (await collect(exportLines(createMemberPages(ch, 'tenant_pages', 'all', 'email'), 'ndjson', PAGE))).map((l) => JSON.parse(l));
    expect(ndjson.map((r) => r.primary_email).sort()).toEqual(expected('email'));
  });

  it('pages JSON by the same ranges: next until null, no member twice', async () => {
    const pages = createMemberPages(ch, 'tenant_pages', 'all', undefined);
    const seen: string[] = [];
    let after = '00000000-0000-0000-0000-000000000000';
    let count = 0;
    for (;;) {
      const range = await pages.bound(after, PAGE);
      const rows = await (await pages.rows(range, 'JSONEachRow')).json<{ customer360_id: string; primary_email: string }>();
      expect(rows.length).toBeLessThanOrEqual(range.count);
      seen.push(...rows.map((r) => r.primary_email));
      count++;
      if (!range.full) break;
      after = range.upto;
    }
    expect(count).toBe(Math.ceil(MEMBERS / PAGE));
    expect(seen.sort()).toEqual(expected());
  });

  it('ends at once for an empty segment, with the CSV header alone', async () => {
    const csv = await collect(exportLines(createMemberPages(ch, 'tenant_pages', 'nobody', undefined), 'csv', PAGE));
    expect(csv).toEqual(['"customer360_id","primary_email","primary_phone","first_name","last_name","lifecycle_stage"']);
    expect(await collect(exportLines(createMemberPages(ch, 'tenant_none', 'all', undefined), 'ndjson', PAGE))).toEqual([]);
  });
});
