/**
 * `npm run bench:match`: matching quality and time on every development set, through the same
 * resolver as the stream (`c360 dedupe`'s default engine; `--engine memory` for the in-memory
 * clustering). Prints one row per set and layout: pairwise precision, recall and F1, B-cubed F1,
 * clusters against true clusters, and seconds.
 *
 * Sets: FEBRL 3 and 4 (../shared/data/febrl, 4a and 4b together) in five layouts each (raw; one
 * `street` column with the suburb as city and no national ID; that with the national ID as
 * `source_record_id`; raw without the national ID; only a `full_name`), and synthetic people with
 * realistic name frequencies (bench/people.ts) at the sizes of `--sizes` (default 1000,50000) in
 * the layouts `street`, `split` and `full_name`.
 *
 *   npm run bench:match -- [--sets febrl3,febrl4,people] [--sizes 1000,50000,1000000]
 *                          [--layouts raw,street,...] [--engine resolver|memory] [--json out.json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { runDedupe, type DedupeSummary } from '../resolver/dedupe/dedupe.ts';
import { writePeopleCsv, type PeopleLayout } from './people.ts';
import { mib } from './util.ts';

const { values } = parseArgs({
  options: {
    sets: { type: 'string', default: 'febrl3,febrl4,people' },
    sizes: { type: 'string', default: '1000,50000' },
    layouts: { type: 'string' },
    engine: { type: 'string', default: 'resolver' },
    json: { type: 'string' },
    data: { type: 'string' },
  },
});

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const febrlDir = values.data ?? path.resolve(root, '../shared/data/febrl');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-bench-match-'));

type Row = Record<string, string>;
const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
function writeCsv(file: string, columns: string[], rows: Row[]): void {
  fs.writeFileSync(file, `${[columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c] ?? '')).join(','))].join('\n')}\n`);
}

function readFebrl(names: string[]): Row[] {
  return names.flatMap((name) => {
    const text = fs.readFileSync(path.join(febrlDir, name), 'utf8').replace(/\r\n?/g, '\n');
    return parse(text, { columns: (h: string[]) => h.map((c) => c.trim()), skip_empty_lines: true, trim: true }) as Row[];
  });
}

/** The FEBRL layouts: each a header and the values of a row in it. */
const FEBRL_LAYOUTS: Record<string, { columns: string[]; row: (r: Row) => Row }> = {
  raw: { columns: ['rec_id', 'given_name', 'surname', 'street_number', 'address_1', 'address_2', 'suburb', 'postcode', 'state', 'date_of_birth', 'soc_sec_id'], row: (r) => r },
  street: {
    columns: ['record_id', 'first_name', 'last_name', 'date_of_birth', 'city', 'postal_code', 'street'],
    row: (r) => ({ record_id: r.rec_id!, first_name: r.given_name!, last_name: r.surname!, date_of_birth: r.date_of_birth!, city: r.suburb!, postal_code: r.postcode!, street: [r.street_number, r.address_1].filter(Boolean).join(' ') }),
  },
  'street+source_id': {
    columns: ['record_id', 'first_name', 'last_name', 'date_of_birth', 'city', 'postal_code', 'street', 'source_record_id'],
    row: (r) => ({ ...FEBRL_LAYOUTS.street!.row(r), source_record_id: r.soc_sec_id! }),
  },
  'no-national-id': {
    columns: ['rec_id', 'given_name', 'surname', 'street_number', 'address_1', 'address_2', 'suburb', 'postcode', 'state', 'date_of_birth'],
    row: (r) => r,
  },
  full_name: {
    columns: ['record_id', 'full_name', 'date_of_birth', 'street', 'city', 'postal_code'],
    row: (r) => ({ record_id: r.rec_id!, full_name: [r.given_name, r.surname].filter(Boolean).join(' '), date_of_birth: r.date_of_birth!, street: [r.street_number, r.address_1].filter(Boolean).join(' '), city: r.suburb!, postal_code: r.postcode! }),
  },
};

interface Case {
  set: string;
  layout: string;
  file: string;
  truth: string;
}

function cases(): Case[] {
  const sets = values.sets.split(',').map((s) => s.trim());
  const wanted = values.layouts ? new Set(values.layouts.split(',').map((s) => s.trim())) : null;
  const out: Case[] = [];
  const febrl: Record<string, string[]> = { febrl3: ['dataset3.csv'], febrl4: ['dataset4a.csv', 'dataset4b.csv'] };
  for (const set of sets.filter((s) => s in febrl)) {
    const rows = readFebrl(febrl[set]!);
    for (const [layout, spec] of Object.entries(FEBRL_LAYOUTS)) {
      if (wanted && !wanted.has(layout)) continue;
      const file = path.join(work, `${set}-${layout}.csv`);
      writeCsv(file, spec.columns, rows.map(spec.row));
      out.push({ set, layout, file, truth: `${spec.columns[0]}:rec-(\\d+)-` });
    }
  }
  if (sets.includes('people')) {
    for (const size of values.sizes.split(',').map(Number)) {
      for (const layout of ['street', 'split', 'full_name'] as PeopleLayout[]) {
        if (wanted && !wanted.has(layout)) continue;
        const file = path.join(work, `people-${size}-${layout}.csv`);
        writePeopleCsv(file, { records: size, layout, seed: 7 });
        out.push({ set: `people-${size}`, layout, file, truth: 'person_id' });
      }
    }
  }
  return out;
}

const f = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(4));

async function main() {
  const results: (Case & { summary: DedupeSummary; trueClusters: number; peak: string })[] = [];
  const header = ['set', 'layout', 'records', 'precision', 'recall', 'F1', 'B3 F1', 'clusters', 'true', 'seconds', 'peak MiB'];
  console.log(header.join('\t'));
  for (const c of cases()) {
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
    const summary = await runDedupe({ input: c.file, out: path.join(work, 'out.csv'), truth: c.truth, inMemory: values.engine === 'memory' });
    clearInterval(sampler);
    const q = summary.quality!;
    const trueClusters = new Set(
      (parse(fs.readFileSync(c.file, 'utf8'), { columns: true }) as Row[]).map((r) => {
        const [column, pattern] = c.truth.split(':');
        const v = r[column!] ?? '';
        return pattern ? (new RegExp(pattern).exec(v)?.[1] ?? v) : v;
      }),
    ).size;
    results.push({ ...c, summary, trueClusters, peak: mib(peak) });
    console.log([c.set, c.layout, summary.records, f(q.pairs.precision), f(q.pairs.recall), f(q.pairs.f1), f(q.bcubed.f1), summary.clusters, trueClusters, summary.seconds.toFixed(1), mib(peak)].join('\t'));
  }
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(results, null, 2));
  fs.rmSync(work, { recursive: true, force: true });
}

await main();
