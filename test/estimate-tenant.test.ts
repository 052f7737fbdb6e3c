/**
 * Estimating a tenant's entity-matcher model from its stream (`c360 identity estimate`), on real
 * Postgres: tenants' person records stored as the resolver stores them, then u estimated from a
 * uniform sample of them. u follows the records (a surname every third person shares is weak
 * evidence, a surname nobody shares strong), the model is stored in the shape the resolver reads
 * with the tenant's thresholds kept and its epoch moved, `--dry-run` writes nothing, a tenant
 * with too little to go on is refused, and the command prints no personal data.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../platform/random.ts';
import { migratePostgres } from '../platform/migrate.ts';
import { postgresMigrations } from '../app/migrations.ts';
import { personRecord, type PersonRecord } from '../resolver/fuzzy/person.ts';
import { COMPARISONS } from '../resolver/match/comparisons.ts';
import { defaultModel } from '../resolver/match/entity-score.ts';
import { EstimateError, estimateTenantModel } from '../resolver/match/estimate-tenant.ts';
import { sampleTenantRecords } from '../resolver/match/sample-records.ts';
import { loadTenantState, storedEntityModel } from '../resolver/state/load-tenant.ts';
import { createTestDatabase, uniqueName, type TestDatabase } from './support/engines.ts';

const run = promisify(execFile);
const comparison = (name: string) => COMPARISONS.findIndex((c) => c.name === name);
const SURNAME = comparison('surname');
const DOB = comparison('date_of_birth');
const EMAIL = comparison('email');
const EXACT = 0;
const PRIORS = defaultModel();
const PAIRS = 200_000;

const GIVEN_NAMES = ['amelia', 'brandon', 'cecily', 'dorian', 'eloise', 'fergus', 'gwendolyn', 'horatio', 'imogen', 'jasper', 'katrina', 'leopold', 'marisol', 'nathaniel', 'ophelia', 'percival'];
const CITIES = ['ashbury', 'brookfield', 'carrowmore', 'dunwich', 'elmstead', 'fairhaven', 'glenmoor', 'hollowell'];

/** A made-up word of `length` letters: a surname or street nobody else has. */
const word = (random: () => number, length: number) => Array.from({ length }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
const pick = <T>(random: () => number, list: readonly T[]) => list[Math.floor(random() * list.length)]!;

/** Person records of different people: names, a date of birth and an address; no email or phone. */
function people(n: number, seed: number, surnameOf: (random: () => number) => string): PersonRecord[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const year = 1940 + Math.floor(random() * 60);
    const day = 1 + Math.floor(random() * 365);
    const dob = new Date(Date.UTC(year, 0, day)).toISOString().slice(0, 10);
    return personRecord(`r${i}`, {
      given: pick(random, GIVEN_NAMES),
      surname: surnameOf(random),
      dob,
      streetNumber: String(1 + Math.floor(random() * 300)),
      street: `${word(random, 7)} road`,
      city: pick(random, CITIES),
      postcode: String(90000 + Math.floor(random() * 9000)),
      region: pick(random, ['ca', 'or', 'wa']),
    });
  });
}

describe('estimating a tenant entity match model from its stream', () => {
  let db: TestDatabase;
  // COMMON: every third person shares a surname, with the earlier pairwise model and thresholds
  // of its own stored. RARE: no two people share a surname, no model row. FEW: too few records.
  // HALVES: 3,000 records whose first half in key order are "front", the second "back".
  const COMMON = uniqueName('shop_common');
  const RARE = uniqueName('shop_rare');
  const FEW = uniqueName('shop_few');
  const HALVES = uniqueName('shop_halves');
  const rareRecords = people(1200, 2, (random) => word(random, 9));
  const pairwiseModel = { lambda: 0.001, m: PRIORS.u, u: PRIORS.u };

  const modelRow = async (tenant: string) =>
    (
      await db.pool.query<{ model: unknown; link_threshold: number; review_threshold: number }>(
        'SELECT model, link_threshold, review_threshold FROM match_models WHERE tenant_id = $1',
        [tenant],
      )
    ).rows[0];
  const epochOf = async (tenant: string) =>
    (await db.pool.query<{ epoch: string }>('SELECT epoch FROM identity_epochs WHERE tenant_id = $1', [tenant])).rows[0]?.epoch ?? null;

  /** Stores records as the resolver's write-behind does: one row per distinct record of a profile. */
  async function store(tenant: string, records: PersonRecord[], profileId: (i: number) => string = () => randomUUID()) {
    for (let start = 0; start < records.length; start += 500) {
      const chunk = records.slice(start, start + 500);
      await db.pool.query(
        `INSERT INTO person_records (tenant_id, customer360_id, fingerprint, record, event_id)
         SELECT $1, unnest($2::uuid[]), unnest($3::text[]), unnest($4::jsonb[]), unnest($5::text[])`,
        [tenant, chunk.map((_, i) => profileId(start + i)), chunk.map((r) => `fp-${r.id}`), chunk.map((r) => JSON.stringify(r)), chunk.map((r) => `${tenant}-${r.id}`)],
      );
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await migratePostgres(db.pool, postgresMigrations());
    await store(COMMON, people(1200, 1, (random) => pick(random, ['thornbury', 'whitlock', 'ravensworth'])));
    await store(RARE, rareRecords);
    await store(FEW, people(50, 3, (random) => word(random, 9)));
    const halves = people(3000, 4, (random) => word(random, 9)).map((r, i) => ({ ...r, surname: i < 1500 ? 'front' : 'back' }));
    // Profile IDs in the order of the records: the first half sorts before the second.
    await store(HALVES, halves, (i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    await db.pool.query('INSERT INTO match_models (tenant_id, model, link_threshold, review_threshold) VALUES ($1, $2, 0.995, 0.9)', [COMMON, JSON.stringify(pairwiseModel)]);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('moves u the way the records say: a common surname is weak evidence, a rare one strong', async () => {
    const common = await estimateTenantModel(db.pool, COMMON, { pairs: PAIRS });
    const rare = await estimateTenantModel(db.pool, RARE, { pairs: PAIRS });
    // Two random people of COMMON share a surname about a third of the time (three surnames,
    // evenly spread); two of RARE hardly ever, far less often than the generic 0.005.
    const commonU = common.model.u[SURNAME]![EXACT]!;
    const rareU = rare.model.u[SURNAME]![EXACT]!;
    expect(commonU).toBeGreaterThan(0.28);
    expect(commonU).toBeLessThan(0.39);
    expect(rareU).toBeLessThan(0.001);
    expect(rareU).toBeLessThan(PRIORS.u[SURNAME]![EXACT]!);
    const surname = (e: typeof common) => e.summary.comparisons[SURNAME]!.levels[EXACT]!;
    expect(surname(common)).toMatchObject({ level: 'exact', m: COMPARISONS[SURNAME]!.levels[EXACT]!.m, u: { before: PRIORS.u[SURNAME]![EXACT], after: commonU } });
    expect(surname(common).weight.after).toBeLessThan(2);
    expect(surname(rare).weight.after).toBeGreaterThan(surname(rare).weight.before);
    // Dates of birth spread over 60 years: random people rarely share one.
    expect(rare.model.u[DOB]![EXACT]).toBeLessThan(0.001);

    for (const estimate of [common, rare]) {
      // Each comparison's u is a distribution over its levels.
      for (const levels of estimate.model.u) expect(levels.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
      // No record holds an email: its u stays the generic one, not made up from nothing.
      expect(estimate.summary.comparisons[EMAIL]!.recordsWithValue).toBe(0);
      // (Within the rounding of a prior whose levels add up to nearly 1.)
      estimate.model.u[EMAIL]!.forEach((u, l) => expect(u / PRIORS.u[EMAIL]![l]!).toBeCloseTo(1, 3));
      expect(estimate.summary.comparisons[SURNAME]!.recordsWithValue).toBe(1200);
    }
    // Seeded: the same records give the same model.
    expect((await estimateTenantModel(db.pool, RARE, { pairs: PAIRS })).model).toEqual(rare.model);
  });

  it('--dry-run estimates and writes nothing', async () => {
    const before = { common: await modelRow(COMMON), rare: await modelRow(RARE) };
    for (const tenant of [COMMON, RARE]) {
      const estimate = await estimateTenantModel(db.pool, tenant, { write: false, pairs: PAIRS });
      expect(estimate.written).toBe(false);
      expect(estimate.previousSource).toBe('priors');
    }
    expect(await modelRow(COMMON)).toEqual(before.common);
    expect(await modelRow(RARE)).toBeUndefined();
    expect(await epochOf(COMMON)).toBeNull();
    expect(await epochOf(RARE)).toBeNull();
  });

  it('stores an entity model the resolver reads, keeps the thresholds and moves the epoch', async () => {
    const estimate = await estimateTenantModel(db.pool, COMMON, { write: true, pairs: PAIRS });
    // The earlier pairwise model is not what the resolver scored with: measured against the priors.
    expect(estimate).toMatchObject({ written: true, previousSource: 'priors', previous: PRIORS, linkThreshold: 0.995, reviewThreshold: 0.9 });
    const row = (await modelRow(COMMON))!;
    expect(row).toMatchObject({ model: { kind: 'entity', u: estimate.model.u }, link_threshold: 0.995, review_threshold: 0.9 });
    expect(storedEntityModel(row.model)).toEqual(estimate.model);
    expect(await epochOf(COMMON)).toBe('1');
    // The resolver's state of the tenant scores with the stored model.
    expect((await loadTenantState(db.pool, COMMON)).matching?.model).toEqual(estimate.model);

    // Estimated again: measured against what is stored now, and the epoch moves again.
    const again = await estimateTenantModel(db.pool, COMMON, { write: true, pairs: PAIRS });
    expect(again.previousSource).toBe('stored');
    expect(again.previous).toEqual(estimate.model);
    expect(again.summary.comparisons[SURNAME]!.levels[EXACT]!.u.before).toBe(estimate.model.u[SURNAME]![EXACT]);
    expect(await epochOf(COMMON)).toBe('2');

    // Other tenants are untouched.
    expect(await modelRow(RARE)).toBeUndefined();
    expect(await epochOf(RARE)).toBeNull();
  });

  it('samples at most --sample records, uniformly over the whole table', async () => {
    const { records, seen } = await sampleTenantRecords(db.pool, HALVES, { size: 1000, pageSize: 700, random: seededRandom(9) });
    expect(seen).toBe(3000);
    expect(records).toHaveLength(1000);
    expect(new Set(records.map((r) => r.id)).size).toBe(1000);
    // Half the table sorts after the other: a uniform sample holds about as many of each.
    const back = records.filter((r) => r.surname === 'back').length;
    expect(back).toBeGreaterThan(430);
    expect(back).toBeLessThan(570);

    const estimate = await estimateTenantModel(db.pool, HALVES, { sample: 1200, pageSize: 700, pairs: PAIRS });
    expect(estimate.summary).toMatchObject({ records: 3000, recordsUsed: 1200 });
    expect(estimate.summary.comparisons[SURNAME]!.recordsWithValue).toBe(1200);
    // Two surnames half and half: random people share one about half the time.
    expect(estimate.model.u[SURNAME]![EXACT]).toBeGreaterThan(0.4);
    expect(estimate.model.u[SURNAME]![EXACT]).toBeLessThan(0.6);
  });

  it('refuses a tenant with too few records, leaving its model and epoch in place', async () => {
    await expect(estimateTenantModel(db.pool, FEW, { write: true })).rejects.toThrow(EstimateError);
    await expect(estimateTenantModel(db.pool, FEW, { write: true })).rejects.toThrow(/has 50 person records; at least 1000 are needed/);
    expect(await modelRow(FEW)).toBeUndefined();
    expect(await epochOf(FEW)).toBeNull();
    await expect(estimateTenantModel(db.pool, uniqueName('nobody'), { write: true })).rejects.toThrow(/has 0 person records/);

    const before = { row: await modelRow(COMMON), epoch: await epochOf(COMMON) };
    await expect(estimateTenantModel(db.pool, COMMON, { write: true, sample: 500 })).rejects.toThrow(/has 1200 person records \(a sample of 500\)/);
    expect(await modelRow(COMMON)).toEqual(before.row);
    expect(await epochOf(COMMON)).toBe(before.epoch);
  });

  it('runs as `c360 identity estimate`: a table per comparison and level, no personal data, --dry-run writes nothing', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['bin/c360.js', 'identity', 'estimate', ...args], { env: { ...process.env, DATABASE_URL: db.url, C360_LOG_LEVEL: 'warn' } });
    const dry = await cli('--tenant', RARE, '--dry-run');
    expect(dry.stdout).toContain(`Entity match model of tenant ${RARE}: u from 1,000,000 random pairs of all 1,200 person records`);
    expect(dry.stdout).toContain('u before: the generic priors');
    expect(dry.stdout).toMatch(/^comparison\s+level\s+m\s+u before\s+u after\s+weight$/m);
    // A row for every level of every comparison: the surname's exact level, weighed by frequency, from the prior 0.005 down.
    const rows = dry.stdout.split('\n').filter((l) => COMPARISONS.some((c) => l.startsWith(`${c.name} `)));
    expect(rows).toHaveLength(COMPARISONS.reduce((n, c) => n + c.levels.length, 0));
    expect(dry.stdout).toMatch(/^surname\s+exact \*\s+0\.8500\s+0\.0050\s+\d\.\de-\d\s+\+\d+\.\d$/m);
    expect(dry.stdout).toMatch(/^date_of_birth\s+different\s+0\.0020\s+0\.7200\s+0\.\d{4}\s+-\d+\.\d$/m);
    expect(dry.stdout).toContain('email 0%');
    expect(dry.stdout).toContain('Dry run: nothing written');
    expect(await modelRow(RARE)).toBeUndefined();
    expect(await epochOf(RARE)).toBeNull();

    // Nothing of a record is printed: no name, street, town or postcode, no date of birth.
    const words = new Set(dry.stdout.toLowerCase().split(/[^a-z0-9_]+/));
    const personal = new Set(rareRecords.flatMap((r) => [r.given, r.surname, r.street, r.city, r.postcode].flatMap((v) => (v ? v.split(' ') : [])).filter((v) => v.length > 3 && v !== 'road')));
    expect(personal.size).toBeGreaterThan(2400);
    expect([...words].filter((w) => personal.has(w))).toEqual([]);
    expect(dry.stdout.replaceAll(RARE, '')).not.toMatch(/\d{6,}/);

    const written = await cli('--tenant', RARE, '--sample', '1100');
    expect(written.stdout).toContain('of a uniform sample of 1,100 of 1,200 person records');
    expect(written.stdout).toContain('Written to match_models');
    // No model of its own before: the default thresholds, and an entity model the resolver accepts.
    const row = (await modelRow(RARE))!;
    expect(row).toMatchObject({ link_threshold: 0.99, review_threshold: 0.8 });
    expect(storedEntityModel(row.model)).not.toBeNull();
    expect(await epochOf(RARE)).toBe('1');

    await expect(cli('--tenant', FEW)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('at least 1000 are needed') });
    await expect(cli('--tenant', FEW, '--sample', 'lots')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--sample') });
    expect(await modelRow(FEW)).toBeUndefined();
  });
});
