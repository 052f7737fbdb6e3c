/**
 * `npm run bench:match`: matching quality and time on every development set, through the same
 * resolver as the stream (`c360 dedupe`'s default engine; `--engine memory` for the in-memory
 * clustering). Prints one row per set and layout: pairwise precision, recall and F1, B-cubed F1,
 * clusters against true clusters, seconds, and memory: the peak resident set size sampled during
 * the row, the process's maximum resident set size so far (the kernel's high-water mark, exact but
 * never lower than an earlier row's) and the peak V8 heap in use. Long runs print their progress
 * on stderr (records clustered of the total, rate, elapsed).
 *
 * Sets: FEBRL 3 and 4 (../shared/data/febrl, 4a and 4b together) in five layouts each (raw; one
 * `street` column with the suburb as city and no national ID; that with the national ID as
 * `source_record_id`; raw without the national ID; only a `full_name`), and synthetic people with
 * realistic name frequencies (bench/people.ts) at the sizes of `--sizes` (default 1000,50000) in
 * the layouts `street`, `split` and `full_name`.
 *
 *   npm run bench:match -- [--sets febrl3,febrl4,people] [--sizes 1000,50000,1000000]
 *                          [--layouts raw,street,...] [--engine resolver|memory] [--json out.json]
 *
 * e.g. one million synthetic people through the in-memory matcher:
 *
 *   npx tsx bench/match.ts --engine memory --sets people --sizes 1000000 --layouts split
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { runDedupe, type DedupeSummary } from '../resolver/dedupe/dedupe.ts';
import { postgresMigrations } from '../app/migrations.ts';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { toolPostgres } from '../platform/tool-postgres.ts';
import { writePeopleCsv, type PeopleLayout } from './people.ts';
import { Progress, mib, num } from './util.ts';

const { values } = parseArgs({
  options: {
    sets: { type: 'string', default: 'febrl3,febrl4,people' },
    sizes: { type: 'string', default: '1000,50000' },
    layouts: { type: 'string' },
    engine: { type: 'string', default: 'resolver' },
    json: { type: 'string' },
    data: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  // The usage is the comment at the top of this file.
  const source = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8');
  process.stdout.write(`${/\/\*\*\n([\s\S]*?)\*\//.exec(source)![1]!.replace(/^ \* ?/gm, '')}`);
  process.exit(0);
}

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

const progress = new Progress();

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
        progress.set(() => `writing ${num(size)} synthetic people in the ${layout} layout`);
        writePeopleCsv(file, { records: size, layout, seed: 7 });
        out.push({ set: `people-${size}`, layout, file, truth: 'person_id' });
      }
    }
  }
  progress.stop();
  return out;
}

const f = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(4));

/**
 * Peak memory of one row: RSS and V8 heap in use, sampled on a timer and at every progress report
 * (the in-memory matcher runs without yielding, so the timer alone would miss it).
 */
function memoryPeaks() {
  const peaks = { rss: 0, heap: 0 };
  const sample = () => {
    peaks.rss = Math.max(peaks.rss, process.memoryUsage.rss());
    peaks.heap = Math.max(peaks.heap, v8.getHeapStatistics().used_heap_size);
  };
  sample();
  const timer = setInterval(sample, 200);
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      return { ...peaks, maxRss: process.resourceUsage().maxRSS * 1024 };
    },
  };
}

/** How many true clusters the file holds (only the truth column is kept from each row). */
function countTrueClusters(file: string, truth: string): number {
  const [column, pattern] = truth.split(':');
  const regex = pattern ? new RegExp(pattern) : null;
  const labels = new Set<string>();
  parse(fs.readFileSync(file, 'utf8'), {
    columns: true,
    on_record: (r: Row) => {
      const v = r[column!] ?? '';
      labels.add(regex ? (regex.exec(v)?.[1] ?? v) : v);
      return null;
    },
  });
  return labels.size;
}

async function main() {
  const results: (Case & { summary: DedupeSummary; trueClusters: number; peak: string; peakRss: number; maxRss: number; peakHeap: number })[] = [];
  const header = ['set', 'layout', 'records', 'precision', 'recall', 'F1', 'B3 F1', 'clusters', 'true', 'seconds', 'peak RSS MiB', 'max RSS MiB', 'peak heap MiB'];
  console.log(header.join('\t'));
  const config = loadConfig();
  const withPostgres = toolPostgres(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel), postgresMigrations);
  for (const c of cases()) {
    const memory = memoryPeaks();
    const started = performance.now();
    let lastShown = 0;
    let clusteringFrom: number | null = null;
    const what = `${c.set} ${c.layout}`;
    progress.set(() => `${what}: reading and preparing the records`);
    const summary = await runDedupe({
      input: c.file,
      out: path.join(work, 'out.csv'),
      truth: c.truth,
      inMemory: values.engine === 'memory',
      withPostgres,
      defaultRegion: config.defaultRegion,
      onProgress: (done, total) => {
        memory.sample();
        // The matcher does not yield while it clusters: the line is drawn from here, at most once a
        // second on a terminal and every 5 s in a log.
        const now = performance.now();
        clusteringFrom ??= now;
        if (now - lastShown < (process.stderr.isTTY ? 1000 : 5000) && done < total) return;
        lastShown = now;
        const rate = done / Math.max((now - clusteringFrom) / 1000, 0.001);
        const line = `${what}: ${num(done)}/${num(total)} records (${Math.floor((done * 100) / total)}%), ${num(rate)} records/s, ${num((now - started) / 1000)} s, RSS ${mib(process.memoryUsage.rss())}`;
        progress.set(() => line);
      },
    });
    const peaks = memory.stop();
    progress.stop();
    const q = summary.quality!;
    const trueClusters = countTrueClusters(c.file, c.truth);
    results.push({ ...c, summary, trueClusters, peak: mib(peaks.rss), peakRss: peaks.rss, maxRss: peaks.maxRss, peakHeap: peaks.heap });
    const m = (bytes: number) => num(bytes / 1024 / 1024);
    console.log([c.set, c.layout, summary.records, f(q.pairs.precision), f(q.pairs.recall), f(q.pairs.f1), f(q.bcubed.f1), summary.clusters, trueClusters, summary.seconds.toFixed(1), m(peaks.rss), m(peaks.maxRss), m(peaks.heap)].join('\t'));
  }
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(results, null, 2));
  fs.rmSync(work, { recursive: true, force: true });
}

await main();
