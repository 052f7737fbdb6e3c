/**
 * The matcher on the FEBRL data sets through `c360 dedupe`: every record through the resolver of
 * the stream on Postgres (and the in-memory engine), the quality targets, order independence,
 * and the output format.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapColumns, runDedupe } from '../resolver/dedupe/dedupe.ts';
import { clusteringQuality } from '../resolver/fuzzy/metrics.ts';
import { migratePostgres } from '../platform/migrate.ts';
import { postgresMigrations } from '../app/migrations.ts';
import { loadConfig } from '../platform/config.ts';
import { toolPostgres } from '../platform/tool-postgres.ts';
import { createTestDatabase, silentLogger, type TestDatabase } from './support/engines.ts';

const data = (file: string) => path.resolve('test/data/febrl', file);
const TRUTH = 'rec_id:rec-(\\d+)-';
const postgresAt = (databaseUrl: string) => toolPostgres(loadConfig(process.env, { databaseUrl }), silentLogger(), postgresMigrations);
const tmp = (name: string) => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'c360-dedupe-')), name);
const labelsOf = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]!);

describe('c360 dedupe on FEBRL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await migratePostgres(db.pool, postgresMigrations());
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('dataset3 through the resolver (5,000 records, 2,000 people): pairwise precision >= 0.99, recall >= 0.97', async () => {
    const out = tmp('d3.csv');
    const summary = await runDedupe({ input: data('dataset3.csv'), out, truth: TRUTH, withPostgres: postgresAt(db.url) });
    expect(summary.engine).toBe('resolver');
    expect(summary.records).toBe(5000);
    expect(summary.quality!.pairs.actual).toBe(6538);
    // The entity matcher (docs/matching.md): precision first, whatever the layout.
    expect(summary.quality!.pairs.precision).toBeGreaterThanOrEqual(0.99);
    expect(summary.quality!.pairs.recall).toBeGreaterThanOrEqual(0.97);
    expect(summary.quality!.bcubed.f1).toBeGreaterThanOrEqual(0.985);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('record_id,customer360_id,confidence');
    expect(lines).toHaveLength(5001);
    expect(lines[1]).toMatch(/^rec-\d+-(org|dup-\d+),[0-9a-f-]{36},(0|1)\.\d{4}$/);
    // The dedupe tenant is removed afterwards.
    const left = await db.pool.query("SELECT count(*)::int AS n FROM profiles WHERE tenant_id LIKE 'dedupe_%'");
    expect(left.rows[0].n).toBe(0);
  }, 180_000);

  it('dataset4a + dataset4b linkage through the resolver (5,000 true links): F1 >= 0.995', async () => {
    const joined = tmp('d4.csv');
    const a = fs.readFileSync(data('dataset4a.csv'), 'utf8');
    const b = fs.readFileSync(data('dataset4b.csv'), 'utf8').split(/\r?\n/).slice(1).join('\n');
    fs.writeFileSync(joined, `${a}\n${b}`);
    const summary = await runDedupe({ input: joined, out: tmp('d4-out.csv'), truth: TRUTH, withPostgres: postgresAt(db.url) });
    expect(summary.records).toBe(10_000);
    expect(summary.quality!.pairs.actual).toBe(5000);
    expect(summary.quality!.pairs.f1).toBeGreaterThanOrEqual(0.995);
  }, 180_000);

  it('gives nearly the same clustering whatever the order the records arrive in (three shuffles)', async () => {
    const outs = [1, 2, 3].map((seed) => tmp(`d1-${seed}.csv`));
    for (const [k, out] of outs.entries()) {
      const summary = await runDedupe({ input: data('dataset1.csv'), out, truth: TRUTH, withPostgres: postgresAt(db.url), shuffle: k + 1 });
      expect(summary.quality!.pairs.f1).toBeGreaterThanOrEqual(0.99);
    }
    // Agreement: pairwise F1 of each order's clustering against the first's.
    const [first, ...others] = outs.map(labelsOf);
    const agreement = others.map((labels) => clusteringQuality(labels, first!).pairs.f1);
    console.log(`dataset1 in three shuffled orders: pairwise agreement ${agreement.map((a) => a.toFixed(4)).join(', ')}`);
    for (const a of agreement) expect(a).toBeGreaterThanOrEqual(0.99);
  }, 180_000);

  it('runs as a command in memory and prints the figures, never using the truth column as evidence', async () => {
    const out = tmp('d1.csv');
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/c360.js', 'dedupe', '--in-memory', '--input', data('dataset1.csv'), '--out', out, '--truth', TRUTH]);
    // Records matched to entities: every link right, nearly every duplicate found.
    const clusters = Number(/1000 records -> (\d+) clusters through the in-memory matcher/.exec(stdout)?.[1]);
    expect(clusters).toBeGreaterThanOrEqual(500);
    expect(clusters).toBeLessThanOrEqual(510);
    const [, precision, recall] = /pairwise: precision ([\d.]+), recall ([\d.]+)/.exec(stdout) ?? [];
    expect(Number(precision)).toBe(1);
    expect(Number(recall)).toBeGreaterThanOrEqual(0.98);
    // The truth column is a label only: with every other column removed, nothing links.
    const onlyIds = tmp('ids.csv');
    fs.writeFileSync(onlyIds, `rec_id,given_name\n${['rec-1-org', 'rec-1-dup-0', 'rec-2-org'].map((id, i) => `${id},name${i}`).join('\n')}\n`);
    const summary = await runDedupe({ input: onlyIds, out: tmp('ids-out.csv'), truth: TRUTH, inMemory: true });
    expect(summary.clusters).toBe(3);
  });

  it('recognises common column names and takes --map overrides', () => {
    const mapping = mapColumns(['Rec ID', 'Given Name', 'Surname', 'DOB', 'Suburb', 'Postcode', 'Soc Sec ID', 'Vorname']);
    expect(Object.fromEntries(mapping)).toMatchObject({
      record_id: 'Rec ID',
      first_name: 'Given Name',
      last_name: 'Surname',
      date_of_birth: 'DOB',
      city: 'Suburb',
      postal_code: 'Postcode',
      national_id: 'Soc Sec ID',
    });
    expect(mapColumns(['id', 'Vorname'], ['Vorname=first_name']).get('first_name')).toBe('Vorname');
    expect(() => mapColumns(['id'], ['Missing=first_name'])).toThrow(/no column "Missing"/);
    expect(() => mapColumns(['id'], ['id=shoe_size'])).toThrow(/field one of/);
  });
});
