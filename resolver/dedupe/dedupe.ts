/**
 * `c360 dedupe`: reads a CSV or NDJSON file of person records, clusters them with the matcher
 * (blocking, Fellegi-Sunter weights estimated from the file, union of the pairs at or above the
 * link threshold) and writes one line per input record: `record_id,customer360_id,confidence`.
 * With `--truth COLUMN` it also prints pairwise precision, recall and F1 and B-cubed F1 against
 * that column, which is never used for matching.
 *
 * By default every record goes through the resolver of the stream, into a tenant of its own in
 * Postgres (DATABASE_URL, else the embedded one): the model is first estimated from the file
 * (u from random pairs, m by EM over the blocked pairs) and stored as that tenant's model; the
 * tenant is removed afterwards unless --keep. `--in-memory` clusters the file in memory with the
 * same comparisons and model instead (faster, no database).
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { columnKey } from '../../ingest/index.ts';
import { personRecord, type PersonRecord } from '../fuzzy/person.ts';
import { clusteringQuality, type Quality } from '../fuzzy/metrics.ts';
import { matchRecord } from '../match/record.ts';
import { clusterRecords } from '../match/cluster-records.ts';
import { seededRandom } from '../../platform/random.ts';
import type { RawEvent } from '../../schemas/types.ts';
import type { ToolPostgres } from '../../platform/tool-postgres.ts';
import { defaults } from '../../platform/config.ts';

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
  source_record_id: ['source_record_id', 'customer_number', 'loyalty_id', 'crm_id'],
  national_id: ['national_id', 'soc_sec_id', 'ssn', 'tax_id'],
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
  /** Cluster in memory instead of through the resolver. */
  inMemory?: boolean;
  /** Keep the dedupe tenant's profiles in Postgres. */
  keep?: boolean;
  /** Resolvers working at once (the resolver's locks keep concurrent records correct). */
  concurrency?: number;
  /** Records per batch of each resolver, as the stream's resolver stage takes them. */
  batch?: number;
  /** Resolve the records in an order shuffled with this seed (to measure order independence). */
  shuffle?: number;
  /** Postgres to resolve in (with the migrations applied); needed unless inMemory. */
  withPostgres?: ToolPostgres;
  /** Country of phone numbers without a country code (C360_DEFAULT_REGION). */
  defaultRegion?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface DedupeSummary {
  engine: 'resolver' | 'memory';
  tenant: string | null;
  records: number;
  clusters: number;
  /** Candidate entities scored (the in-memory matcher counts them; the resolver does not). */
  candidates: number | null;
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

export async function runDedupe(options: DedupeOptions): Promise<DedupeSummary> {
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
      sourceId: value(row, 'national_id'),
      email: value(row, 'email'),
      phone: value(row, 'phone'),
    });
  });
  let labels: string[];
  let confidence: number[];
  let tenant: string | null = null;
  let reviews: number;
  let links: number;
  let candidates: number | null;
  if (options.inMemory) {
    // Records to entities, with term frequencies and u estimated from the file.
    const result = clusterRecords(records.map(matchRecord), { random: seededRandom(360), onProgress: options.onProgress });
    const ids = new Map<number, string>();
    labels = records.map((_, i) => {
      const root = result.entity[i]!;
      if (!ids.has(root)) ids.set(root, randomUUID());
      return ids.get(root)!;
    });
    confidence = result.confidence;
    reviews = result.reviews.length;
    links = result.links;
    candidates = result.candidates;
  } else {
    // The resolver scores against the tenant's own records as they arrive (frequencies, u).
    tenant = `dedupe_${randomUUID().slice(0, 8)}`;
    const resolved = await resolveThroughGraph({ tenant, rows, mapping, value, records, linkThreshold: options.linkThreshold, reviewThreshold: options.reviewThreshold, options });
    candidates = null;
    labels = resolved.labels;
    confidence = resolved.confidence;
    reviews = resolved.reviews;
    links = resolved.links;
  }
  const lines = ['record_id,customer360_id,confidence'];
  const csv = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  records.forEach((r, i) => lines.push(`${csv(r.id)},${labels[i]},${confidence[i]!.toFixed(4)}`));
  fs.writeFileSync(options.out, `${lines.join('\n')}\n`);
  const quality = truth ? clusteringQuality(labels, rows.map((row) => truth.label(row[truth.column] ?? ''))) : null;
  return {
    engine: options.inMemory ? 'memory' : 'resolver',
    tenant: options.keep ? tenant : null,
    records: records.length,
    clusters: new Set(labels).size,
    candidates,
    links,
    reviews,
    seconds: (performance.now() - started) / 1000,
    quality,
  };
}

const TENANT_TABLES = ['event_links', 'identifiers', 'profile_merges', 'blocked_merges', 'consent_records', 'person_records', 'blocking_keys', 'match_reviews', 'match_models', 'profiles', 'identity_epochs'];

/** Every record as an event through the resolver's graph store, in a tenant of its own. */
async function resolveThroughGraph(args: {
  tenant: string;
  rows: Record<string, string>[];
  mapping: Map<DedupeField, string>;
  value: (row: Record<string, string>, field: DedupeField) => string;
  records: PersonRecord[];
  /** Thresholds of the dedupe tenant; the resolver's defaults when absent. */
  linkThreshold?: number;
  reviewThreshold?: number;
  options: DedupeOptions;
}): Promise<{ labels: string[]; confidence: number[]; reviews: number; links: number }> {
  const { createGraphStore } = await import('../graph-store.ts');
  const { extractIdentifiers } = await import('../identifiers.ts');
  const { tenant, rows, value } = args;
  const withPostgres = args.options.withPostgres;
  if (!withPostgres) throw new Error('dedupe through the resolver needs a Postgres (or inMemory)');
  return withPostgres(async (postgres) => {
    const pool = postgres.pool;
    if (args.linkThreshold !== undefined || args.reviewThreshold !== undefined) {
      const { DEFAULT_MATCHING } = await import('../graph-store.ts');
      await pool.query(
        'INSERT INTO match_models (tenant_id, model, link_threshold, review_threshold) VALUES ($1, $2, $3, $4)',
        [tenant, '{}', args.linkThreshold ?? DEFAULT_MATCHING.linkThreshold, args.reviewThreshold ?? DEFAULT_MATCHING.reviewThreshold],
      );
    }
    try {
      const graph = createGraphStore(pool);
      const received = Date.now();
      const events: RawEvent[] = rows.map((row, i) => ({
        event_id: `dedupe-${i}`,
        tenant_id: tenant,
        source: 'crm',
        type: 'contact_updated',
        occurred_at: received,
        received_at: received,
        identity: {
          auth_user_id: null,
          email: value(row, 'email') || null,
          phone: value(row, 'phone') || null,
          anonymous_id: null,
          source_record_id: value(row, 'source_record_id') || null,
        },
        traits: Object.fromEntries(
          (
            [
              ['first_name', args.records[i]!.given],
              ['last_name', args.records[i]!.surname],
              ['date_of_birth', args.records[i]!.dob],
              ['street_number', args.records[i]!.streetNumber],
              ['street', args.records[i]!.street],
              ['address_2', args.records[i]!.locality],
              ['city', args.records[i]!.city],
              ['postal_code', args.records[i]!.postcode],
              ['region', args.records[i]!.region],
              ['national_id', args.records[i]!.sourceId],
            ] as [string, string | null][]
          ).filter(([, v]) => v !== null),
        ),
        properties: {},
      }));
      let done = 0;
      let next = 0;
      const order = events.map((_, i) => i);
      if (args.options.shuffle !== undefined) {
        const random = seededRandom(args.options.shuffle);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
      }
      // Like the stream: several resolvers, each taking the next batch of records in order.
      const batch = args.options.batch ?? 250;
      const worker = async () => {
        while (next < events.length) {
          const part = order.slice(next, next + batch).map((i) => events[i]!);
          next += part.length;
          await graph.resolveBatch(part.map((event) => ({ event, identifiers: extractIdentifiers(event, args.options.defaultRegion ?? defaults.defaultRegion).identifiers })));
          done += part.length;
          args.options.onProgress?.(done, events.length);
        }
      };
      await Promise.all(Array.from({ length: args.options.concurrency ?? 4 }, worker));
      await graph.flush();
      args.options.onProgress?.(done, events.length);
      // The tables just grew by the whole file: fresh statistics, or the planner joins them as if
      // they were empty (minutes instead of a second at 50,000 records).
      await pool.query('ANALYZE event_links; ANALYZE profiles');
      // Each record's current profile: the survivor when its first profile was merged away.
      const { rows: links } = await pool.query<{ event_id: string; current: string; confidence: number }>(
        `SELECT l.event_id, COALESCE(p.merged_into, p.customer360_id) AS current, l.confidence
           FROM event_links l JOIN profiles p ON p.tenant_id = l.tenant_id AND p.customer360_id = l.customer360_id
          WHERE l.tenant_id = $1`,
        [tenant],
      );
      const byEvent = new Map(links.map((l) => [l.event_id, l]));
      const labels = events.map((e) => byEvent.get(e.event_id)!.current);
      const confidence = events.map((e) => byEvent.get(e.event_id)!.confidence);
      const counts = await pool.query<{ reviews: number; links: number }>(
        `SELECT (SELECT count(*)::int FROM match_reviews WHERE tenant_id = $1) AS reviews,
                (SELECT count(*)::int FROM event_links WHERE tenant_id = $1 AND rule <> 'new_profile') AS links`,
        [tenant],
      );
      return { labels, confidence, reviews: counts.rows[0]!.reviews, links: counts.rows[0]!.links };
    } finally {
      if (!args.options.keep) for (const table of TENANT_TABLES) await pool.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [tenant]);
    }
  });
}
