/**
 * Re-estimating a tenant's match model from its own stream (`c360 identity estimate`), on real
 * Postgres: 2,500 rows of FEBRL dataset3 resolved through the graph store into a tenant, then u and m estimated
 * from its stored person records. The estimate moves the defaults the right way, keeps the
 * tenant's thresholds, touches no other tenant, refuses a tenant with too little to go on, and
 * `--dry-run` writes nothing; the command prints no personal data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../platform/migrate.ts';
import { postgresMigrations } from '../platform/runtime.ts';
import { createGraphStore } from '../resolver/graph-store.ts';
import { extractIdentifiers } from '../resolver/identifiers.ts';
import { COMPARISONS } from '../resolver/fuzzy/compare.ts';
import { defaultModel, type MatchModel } from '../resolver/fuzzy/model.ts';
import { EstimateError, estimateTenantModel } from '../resolver/fuzzy/estimate-tenant.ts';
import type { PersonRecord } from '../resolver/fuzzy/person.ts';
import type { RawEvent } from '../schemas/types.ts';
import { createTestDatabase, uniqueName, type TestDatabase } from './support/engines.ts';

const run = promisify(execFile);
const comparison = (name: string) => COMPARISONS.findIndex((c) => c.name === name);
const GIVEN = comparison('given_name');
const DOB = comparison('date_of_birth');
const EMAIL = comparison('email');
const PHONE = comparison('phone');

/** FEBRL rows as the events a CRM would send: traits only, no exact identifier. */
function febrlEvents(file: string, tenantId: string, limit = Infinity): RawEvent[] {
  const rows = parse(fs.readFileSync(path.resolve('test/data/febrl', file), 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const at = Date.UTC(2026, 0, 1);
  return rows.slice(0, limit).map((row, i) => ({
    event_id: `${tenantId}-${i}`,
    tenant_id: tenantId,
    source: 'crm',
    type: 'contact_updated',
    occurred_at: at + i,
    received_at: at + i,
    identity: { auth_user_id: null, email: null, phone: null, anonymous_id: null, source_record_id: null },
    traits: {
      first_name: row.given_name ?? '',
      last_name: row.surname ?? '',
      date_of_birth: row.date_of_birth ?? '',
      street_number: row.street_number ?? '',
      street: row.address_1 ?? '',
      address_2: row.address_2 ?? '',
      city: row.suburb ?? '',
      postal_code: row.postcode ?? '',
      region: row.state ?? '',
      national_id: row.soc_sec_id ?? '',
    },
    properties: {},
  }));
}

describe('re-estimating a tenant match model from its stream', () => {
  let db: TestDatabase;
  // A: 2,500 rows of dataset3 through the resolver, with thresholds of its own. B: too few records.
  // C: a model of its own that nobody estimates. D: A's records, no model row.
  const A = uniqueName('shop_a');
  const B = uniqueName('shop_b');
  const C = uniqueName('shop_c');
  const D = uniqueName('shop_d');
  const customC: MatchModel = { ...defaultModel(), lambda: 0.0042 };

  const modelRow = async (tenant: string) =>
    (
      await db.pool.query<{ model: MatchModel; link_threshold: number; review_threshold: number; updated_at: Date }>(
        'SELECT model, link_threshold, review_threshold, updated_at FROM match_models WHERE tenant_id = $1',
        [tenant],
      )
    ).rows[0];
  const recordCount = async (tenant: string) =>
    (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM person_records WHERE tenant_id = $1', [tenant])).rows[0]!.n;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migratePostgres(db.pool, postgresMigrations());
    await db.pool.query('INSERT INTO match_models (tenant_id, model, link_threshold, review_threshold) VALUES ($1, $2, 0.995, 0.8), ($3, $4, 0.99, 0.95)', [
      A,
      JSON.stringify(defaultModel()),
      C,
      JSON.stringify(customC),
    ]);
    const graph = createGraphStore(db.pool);
    const events = [...febrlEvents('dataset3.csv', A, 2500), ...febrlEvents('dataset1.csv', B, 50)];
    let next = 0;
    const worker = async () => {
      while (next < events.length) {
        const event = events[next++]!;
        await graph.resolve(event, extractIdentifiers(event, 'US').identifiers);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    await graph.flush();
    await db.pool.query(
      `INSERT INTO person_records (tenant_id, customer360_id, fingerprint, record, event_id)
       SELECT $2, customer360_id, fingerprint, record, event_id FROM person_records WHERE tenant_id = $1`,
      [A, D],
    );
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('seeds the tenants through the resolver', async () => {
    expect(await recordCount(A)).toBeGreaterThan(2400);
    expect(await recordCount(B)).toBeLessThanOrEqual(50);
  });

  it('--dry-run estimates and writes nothing', async () => {
    const before = await modelRow(A);
    const estimate = await estimateTenantModel(db.pool, A, { write: false });
    expect(estimate.written).toBe(false);
    expect(estimate.model).not.toEqual(defaultModel());
    expect(await modelRow(A)).toEqual(before);
    expect(await modelRow(D)).toBeUndefined();
    // Seeded: the same records give the same model.
    expect((await estimateTenantModel(db.pool, A)).model).toEqual(estimate.model);
  });

  it('writes a model that moves the defaults the sensible way and keeps the thresholds', async () => {
    const otherBefore = await modelRow(C);
    const estimate = await estimateTenantModel(db.pool, A, { write: true });
    const s = estimate.summary;
    expect(s.records).toBe(await recordCount(A));
    expect(s.recordsUsed).toBe(s.records);
    expect(s.candidatePairs).toBeGreaterThan(500);
    expect(s.candidatePairsUsed).toBe(s.candidatePairs);

    const row = (await modelRow(A))!;
    expect(row.model).toEqual(estimate.model);
    expect(row.link_threshold).toBe(0.995);
    expect(row.review_threshold).toBe(0.8);
    expect(estimate).toMatchObject({ written: true, linkThreshold: 0.995, reviewThreshold: 0.8 });

    const { m, u } = estimate.model;
    const defaults = defaultModel();
    // Matches agree on the given name far more often than random people (FEBRL's duplicates
    // carry many typos, so about 0.59 of them agree exactly); random people almost never share a birthday.
    expect(m[GIVEN]![0]).toBeGreaterThan(0.5);
    expect(m[GIVEN]![0]).toBeGreaterThan(100 * u[GIVEN]![0]!);
    expect(u[GIVEN]![0]).toBeLessThan(defaults.u[GIVEN]![0]!);
    expect(u[DOB]![0]).toBeLessThan(0.001);
    expect(u[DOB]![0]).toBeLessThan(defaults.u[DOB]![0]!);
    expect(m[DOB]![0]).toBeGreaterThan(0.5);
    // Each estimated comparison's levels are a distribution.
    for (const [c, change] of s.comparisons.entries()) {
      if (change.estimated) for (const levels of [m[c]!, u[c]!]) expect(levels.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 6);
    }
    // FEBRL carries no email or phone: those comparisons are kept as they were, not made uniform.
    for (const c of [EMAIL, PHONE]) {
      expect(s.comparisons[c]).toMatchObject({ estimated: false, observed: { candidatePairs: 0, randomPairs: 0 } });
      expect(m[c]).toEqual(defaults.m[c]);
      expect(u[c]).toEqual(defaults.u[c]);
    }
    const given = s.comparisons[GIVEN]!;
    expect(given.estimated).toBe(true);
    expect(given.levels[0]).toEqual({ level: 'exact', m: { before: defaults.m[GIVEN]![0], after: m[GIVEN]![0] }, u: { before: defaults.u[GIVEN]![0], after: u[GIVEN]![0] } });
    expect(s.lambda).toEqual({ before: defaults.lambda, after: estimate.model.lambda });

    // Another tenant's model is untouched, and so is the tenant with no records.
    expect(await modelRow(C)).toEqual(otherBefore);
    expect((await modelRow(C))!.model).toEqual(customC);
  });

  it('samples at most --sample records, uniformly', async () => {
    const estimate = await estimateTenantModel(db.pool, A, { sample: 1500, pageSize: 700 });
    expect(estimate.summary.records).toBe(await recordCount(A));
    expect(estimate.summary.recordsUsed).toBe(1500);
    expect(estimate.model.u[DOB]![0]).toBeLessThan(0.001);
  });

  it('refuses a tenant with too few records or candidate pairs, leaving its model in place', async () => {
    await expect(estimateTenantModel(db.pool, B, { write: true })).rejects.toThrow(EstimateError);
    await expect(estimateTenantModel(db.pool, B, { write: true })).rejects.toThrow(/has \d+ person records; at least 1000 are needed/);
    expect(await modelRow(B)).toBeUndefined();
    await expect(estimateTenantModel(db.pool, uniqueName('nobody'), { write: true })).rejects.toThrow(/has 0 person records/);

    const before = await modelRow(A);
    await expect(estimateTenantModel(db.pool, A, { write: true, minCandidatePairs: 10_000_000 })).rejects.toThrow(/candidate pairs among \d+ person records; at least 10000000/);
    await expect(estimateTenantModel(db.pool, A, { write: true, sample: 500 })).rejects.toThrow(/a sample of 500/);
    expect(await modelRow(A)).toEqual(before);
  });

  it('runs as `c360 identity estimate`: a table of m and u, no personal data, --dry-run writes nothing', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['bin/c360.js', 'identity', 'estimate', ...args], { env: { ...process.env, DATABASE_URL: db.url, C360_LOG_LEVEL: 'warn' } });
    const dry = await cli('--tenant', D, '--dry-run');
    expect(dry.stdout).toContain(`Match model of tenant ${D}`);
    expect(dry.stdout).toMatch(/given_name\s+0\.8500 -> 0\.\d{4}\s+0\.0100 -> /);
    expect(dry.stdout).toMatch(/kept as they were .*email \(0 candidate, 0 random\)/);
    expect(dry.stdout).toContain('Dry run: nothing written');
    expect(await modelRow(D)).toBeUndefined();

    // Nothing of a record is printed: no name, street or town, no date of birth or national ID.
    const { rows } = await db.pool.query<{ record: PersonRecord }>('SELECT record FROM person_records WHERE tenant_id = $1', [D]);
    // (Words of the command's own text are left out: one of FEBRL's streets is called "tenant".)
    const own = new Set(['tenant', 'model', 'match', 'city', 'street', ...COMPARISONS.map((c) => c.name)]);
    const words = new Set(dry.stdout.toLowerCase().split(/[^a-z0-9_]+/).filter((w) => !own.has(w)));
    const personal = new Set(rows.flatMap(({ record: r }) => [r.given, r.surname, r.street, r.locality, r.city].filter((v): v is string => !!v && v.length > 3)));
    expect([...words].filter((w) => personal.has(w))).toEqual([]);
    // No date of birth, phone or national ID: no run of six digits (the tenant's random name aside).
    expect(dry.stdout.replaceAll(D, '')).not.toMatch(/\d{6,}/);

    const written = await cli('--tenant', D, '--sample', '1500');
    expect(written.stdout).toContain('a uniform sample of 1,500 of');
    expect(written.stdout).toContain('Written to match_models');
    // No model of its own before: the default thresholds.
    expect(await modelRow(D)).toMatchObject({ link_threshold: 0.99, review_threshold: 0.8 });

    await expect(cli('--tenant', B)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('at least 1000 are needed') });
    await expect(cli('--tenant', B, '--sample', 'lots')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--sample') });
    expect(await modelRow(B)).toBeUndefined();
  });
});
