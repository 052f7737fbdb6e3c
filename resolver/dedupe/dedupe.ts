/**
 * `c360 dedupe`: reads a CSV or NDJSON file of person records, clusters them with the matcher
 * (blocking, Fellegi-Sunter weights estimated from the file, union of the pairs at or above the
 * link threshold) and writes one line per input record: `record_id,customer360_id,confidence`.
 * With `--truth COLUMN` it also prints pairwise precision, recall and F1 and B-cubed F1 against
 * that column, which is never used for matching.
 *
 * Where it stands: the matching runs in memory over the whole file (batch), with the same
 * comparisons, model and thresholds the resolver is to use; the stream resolver's fuzzy path
 * (candidates from Postgres) is not wired yet.
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { columnKey } from '../../ingest/columns.ts';
import { personRecord, type PersonRecord } from '../fuzzy/person.ts';
import { matchRecords, type MatchResult } from '../fuzzy/cluster.ts';
import { clusteringQuality, type Quality } from '../fuzzy/metrics.ts';
import { seededRandom } from '../../ingest/demo-data.ts';

/** Fields of a person record and the column names that mean them (compared without case, spaces or punctuation). */
export const DEDUPE_COLUMNS = {
  record_id: ['record_id', 'rec_id', 'id', 'row_id'],
  first_name: ['first_name', 'given_name', 'firstname', 'forename', 'given'],
  last_name: ['last_name', 'surname', 'family_name', 'lastname'],
  full_name: ['full_name', 'name'],
  date_of_birth: ['date_of_birth', 'dob', 'birth_date', 'birthdate', 'birthday'],
  street_number: ['street_number', 'house_number', 'number'],
  street: ['street', 'address', 'address_1', 'address1', 'street_address', 'address_line_1'],
  locality: ['address_2', 'address2', 'address_line_2', 'locality'],
  city: ['city', 'suburb', 'town'],
  postal_code: ['postal_code', 'postcode', 'zip', 'zip_code'],
  region: ['state', 'region', 'province', 'county'],
  country: ['country'],
  gender: ['gender', 'sex'],
  source_record_id: ['source_record_id', 'soc_sec_id', 'ssn', 'national_id', 'customer_number', 'loyalty_id'],
  email: ['email', 'e_mail', 'email_address'],
  phone: ['phone', 'mobile', 'phone_number', 'telephone'],
} as const;

export type DedupeField = keyof typeof DEDUPE_COLUMNS;

export interface DedupeOptions {
  input: string;
  out: string;
  idColumn?: string;
  truth?: string;
  /** "column=field" overrides. */
  map?: string[];
  linkThreshold?: number;
  reviewThreshold?: number;
}

export interface DedupeSummary {
  records: number;
  clusters: number;
  candidates: number;
  links: number;
  reviews: number;
  seconds: number;
  quality: Quality | null;
}

function readRows(file: string): Record<string, string>[] {
  // One line ending throughout (a file joined from exports may mix CRLF and LF).
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (/\.(ndjson|jsonl)$/i.test(file)) {
    return text
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .map((line, i) => {
        try {
          return Object.fromEntries(Object.entries(JSON.parse(line) as Record<string, unknown>).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
        } catch {
          throw new Error(`line ${i + 1} of ${file} is not a JSON object`);
        }
      });
  }
  return parse(text, { columns: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as Record<string, string>[];
}

/** Which column holds which field: overrides first, then the names above. */
export function mapColumns(columns: string[], overrides: string[] = [], idColumn?: string): Map<DedupeField, string> {
  const mapping = new Map<DedupeField, string>();
  for (const spec of overrides.flatMap((o) => o.split(','))) {
    const [column, field] = spec.split('=').map((s) => s.trim());
    if (!column || !field || !(field in DEDUPE_COLUMNS)) throw new Error(`--map "${spec}": give column=field, field one of ${Object.keys(DEDUPE_COLUMNS).join(', ')}`);
    if (!columns.includes(column)) throw new Error(`--map "${spec}": no column "${column}" in the file`);
    mapping.set(field as DedupeField, column);
  }
  if (idColumn) {
    if (!columns.includes(idColumn)) throw new Error(`--id-column: no column "${idColumn}" in the file`);
    mapping.set('record_id', idColumn);
  }
  for (const [field, names] of Object.entries(DEDUPE_COLUMNS) as [DedupeField, readonly string[]][]) {
    if (mapping.has(field)) continue;
    const keys = names.map(columnKey);
    const found = columns.find((c) => keys.includes(columnKey(c)) && ![...mapping.values()].includes(c));
    if (found) mapping.set(field, found);
  }
  return mapping;
}

function parseTruth(spec: string): { column: string; label: (value: string) => string } {
  const colon = spec.indexOf(':');
  if (colon === -1) return { column: spec, label: (v) => v };
  const pattern = new RegExp(spec.slice(colon + 1));
  return { column: spec.slice(0, colon), label: (v) => pattern.exec(v)?.[1] ?? v };
}

export function runDedupe(options: DedupeOptions): DedupeSummary {
  const started = performance.now();
  const rows = readRows(options.input);
  if (rows.length === 0) throw new Error(`${options.input} holds no records`);
  const columns = Object.keys(rows[0]!);
  const mapping = mapColumns(columns, options.map, options.idColumn);
  // --truth COLUMN, or COLUMN:REGEX whose first group is the true cluster (e.g. rec_id:rec-(\d+)-).
  const truth = options.truth ? parseTruth(options.truth) : null;
  if (truth) {
    if (!columns.includes(truth.column)) throw new Error(`--truth: no column "${truth.column}" in the file`);
    // The truth is never evidence: only the record ID (a label of the output) may share its column.
    for (const [field, column] of mapping) if (column === truth.column && field !== 'record_id') mapping.delete(field);
  }
  const value = (row: Record<string, string>, field: DedupeField) => {
    const column = mapping.get(field);
    return column ? (row[column] ?? '') : '';
  };
  const records: PersonRecord[] = rows.map((row, i) => {
    let given = value(row, 'first_name');
    let surname = value(row, 'last_name');
    const full = value(row, 'full_name');
    if (!given && !surname && full) {
      const parts = full.trim().split(/\s+/);
      given = parts[0] ?? '';
      surname = parts.slice(1).join(' ');
    }
    return personRecord(value(row, 'record_id') || String(i + 1), {
      given,
      surname,
      dob: value(row, 'date_of_birth'),
      streetNumber: value(row, 'street_number'),
      street: value(row, 'street'),
      locality: value(row, 'locality'),
      city: value(row, 'city'),
      postcode: value(row, 'postal_code'),
      region: value(row, 'region'),
      sourceId: value(row, 'source_record_id'),
      email: value(row, 'email'),
      phone: value(row, 'phone'),
    });
  });
  const result: MatchResult = matchRecords(records, {
    linkThreshold: options.linkThreshold ?? 0.999,
    reviewThreshold: options.reviewThreshold ?? 0.9,
    train: true,
    random: seededRandom(360),
  });
  const ids = new Map<number, string>();
  const lines = ['record_id,customer360_id,confidence'];
  const csv = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  records.forEach((r, i) => {
    const root = result.cluster[i]!;
    if (!ids.has(root)) ids.set(root, randomUUID());
    lines.push(`${csv(r.id)},${ids.get(root)},${result.confidence[i]!.toFixed(4)}`);
  });
  fs.writeFileSync(options.out, `${lines.join('\n')}\n`);
  const quality = truth ? clusteringQuality(result.cluster.map(String), rows.map((row) => truth.label(row[truth.column] ?? ''))) : null;
  return {
    records: records.length,
    clusters: ids.size,
    candidates: result.candidates,
    links: result.links.length,
    reviews: result.reviews.length,
    seconds: (performance.now() - started) / 1000,
    quality,
  };
}
