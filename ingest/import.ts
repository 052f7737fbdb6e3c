/**
 * Bulk import of a CRM export (`c360 import`): a CSV or NDJSON file of contacts, read as a
 * stream, each row turned into one `crm` event envelope and posted to POST /v1/events in
 * batches. Rows the importer cannot use and rows the server rejects go to a rejects file with
 * the reasons; a state file next to the input records how far the import got, so an
 * interrupted import continues where it stopped. Event IDs are derived from the row, so a
 * re-sent row counts once.
 *
 * runImport writes nothing to stdout or stderr; runImportCommand, the `c360 import` command,
 * shows progress from its hooks. Messages and notices carry column names, counts and field
 * paths, never the contents of a row: those go to the rejects file only.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline, Transform } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { maskPersonalData } from '../platform/logger.ts';
import { RESERVED_ATTRIBUTE_NAMES } from '../schemas/event-rules.ts';
import {
  ColumnMapError,
  IDENTIFIER_FIELDS,
  columnKey,
  describeMapping,
  detectColumns,
  hasIdentifierColumn,
  parseColumnMap,
  readPerson,
  type ColumnMapping,
  type MapTarget,
  type PersonRecord,
} from './columns.ts';

export type ImportFormat = 'csv' | 'ndjson';

export interface ImportOptions {
  /** The export to import. */
  input: string;
  /** csv or ndjson; from the file extension when not given. */
  format?: ImportFormat;
  /** Base URL of the server; default http://127.0.0.1:8080. */
  url?: string;
  /** API key; default C360_API_KEY, then the embedded mode's dev key file. */
  apiKey?: string;
  /** Event type of every row; default contact_created. */
  type?: string;
  /** Column overrides: "E-Mail Address=email,Mobile=phone" (one string or several). */
  map?: string | readonly string[];
  /** Events per request, 1 to 1000; default 500. */
  batchSize?: number;
  /** Where rejected rows go; default <input>.rejects.ndjson. */
  rejectsFile?: string;
  /** Start from the first row even when an earlier import of the file got further or completed. */
  restart?: boolean;
  /** Tries of one batch the server answers 429/503/5xx or cannot be reached; default 8. */
  maxAttempts?: number;
  /** First backoff between tries, in ms (doubled each try, at most 30 s); default 500. */
  retryBaseMs?: number;
  /** Longest wait for one answer of the server, in ms; default 60 000. */
  requestTimeoutMs?: number;
  /** Folder of the embedded mode's dev API key; default C360_DATA_DIR or .c360. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ImportProgress {
  /** Position in the file reached by the reader, in bytes. */
  bytesRead: number;
  totalBytes: number;
  /** Rows read in this run (rows of earlier runs are `skipped`). */
  rows: number;
  accepted: number;
  rejected: number;
  skipped: number;
  batches: number;
  elapsedMs: number;
}

export interface ImportHooks {
  /** Aborting finishes the batch in flight, saves the state and returns status "interrupted". */
  signal?: AbortSignal;
  /** Called after every batch is answered. */
  onProgress?: (progress: ImportProgress) => void;
  /** Notices for the user (the mapping, a resume, a restart); never row contents. */
  onNotice?: (message: string) => void;
}

export interface RejectReason {
  path: string;
  message: string;
  count: number;
}

export interface ImportSummary {
  status: 'completed' | 'interrupted' | 'already_completed';
  input: string;
  format: ImportFormat;
  /** Rows read in this run. */
  rows: number;
  accepted: number;
  rejected: number;
  /** Rows done by earlier runs of the same import, not read again. */
  skipped: number;
  /** Across this run and the earlier runs it continues. */
  total: { rows: number; accepted: number; rejected: number };
  /** The rejects file, when any row of the import was rejected. */
  rejectsFile: string | null;
  stateFile: string;
  /** Column → field, column names only. */
  mapping: string | null;
  /** The most frequent reasons of this run's rejections. */
  reasons: RejectReason[];
  elapsedMs: number;
}

/** An import that cannot go on; the state file keeps what was done, so a re-run continues. */
export class ImportError extends Error {
  constructor(
    message: string,
    readonly summary?: ImportSummary,
  ) {
    super(message);
    this.name = 'ImportError';
  }
}

/** A part of the file that cannot be read (broken CSV quoting, a row over 1 MiB). */
class FileReadError extends ImportError {}

export interface FieldError {
  path: string;
  message: string;
}

export interface Envelope {
  event_id: string;
  source: 'crm';
  type: string;
  occurred_at: string;
  identity: Partial<Record<(typeof IDENTIFIER_FIELDS)[number], string>>;
  traits: Record<string, string>;
  properties: { lifecycle_stage?: string; status?: string; tags?: string[] };
}

const DEFAULT_URL = 'http://127.0.0.1:8080';
const MAX_BATCH = 1000;
const HEAD_BYTES = 64 * 1024;
const MAX_ROW_BYTES = 1024 * 1024;
const STATE_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Rows to envelopes

const TIMESTAMP =
  /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO-8601 time from the timestamps CRM exports write: 2026-01-31T09:30:00Z, with an offset,
 * "2026-01-31 09:30[:00]" (UTC when no zone is written), 2026-01-31, 2026/01/31, or epoch
 * seconds (10 digits) or milliseconds (13 digits). Null for anything else, including dates
 * written day-first or month-first, which cannot be told apart.
 */
export function parseTimestamp(text: string): string | null {
  const value = text.trim();
  if (/^\d{10}$/.test(value)) return new Date(Number(value) * 1000).toISOString();
  if (/^\d{13}$/.test(value)) return new Date(Number(value)).toISOString();
  const m = TIMESTAMP.exec(value);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const check = new Date(utc);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;
  let offsetMinutes = 0;
  if (/^[+-]/.test(zone)) {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2) || '0');
    if (hours > 18 || minutes > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return new Date(utc - offsetMinutes * 60_000).toISOString();
}

const sortedObject = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export interface EnvelopeContext {
  /** 1-based number of the row among the data rows. */
  row: number;
  type: string;
  /** occurred_at of rows without a time column: when the import started. */
  defaultOccurredAt: string;
}

const NO_IDENTIFIER = 'the row has no identifier: no record ID, auth user ID, email or phone';
const BAD_TIME =
  'is not a time the importer can read; write ISO-8601 (2026-01-31T09:30:00Z, 2026-01-31 09:30, 2026-01-31) or epoch seconds or milliseconds';

/**
 * The event envelope of one person record. The event_id is a digest of the record (keyed by
 * its record ID, or by its row number when it has none), so the same row sent again is the same
 * event; the default time (the import's start) is left out of the digest for the same reason.
 */
export function envelopeOf(person: PersonRecord, context: EnvelopeContext): { envelope: Envelope } | { errors: FieldError[] } {
  const { fields, extra } = person;
  const errors: FieldError[] = [];
  const identity: Envelope['identity'] = {};
  for (const field of IDENTIFIER_FIELDS) if (fields[field] !== undefined) identity[field] = fields[field];
  if (Object.keys(identity).length === 0) errors.push({ path: '/identity', message: NO_IDENTIFIER });
  let occurredAt: string | null = null;
  if (fields.occurred_at !== undefined) {
    occurredAt = parseTimestamp(fields.occurred_at);
    if (occurredAt === null) errors.push({ path: '/occurred_at', message: BAD_TIME });
  }
  // A column kept as a trait under a reserved name (constructor, prototype) would be refused by the server.
  for (const name of Object.keys(extra)) {
    if (RESERVED_ATTRIBUTE_NAMES.has(name)) errors.push({ path: `/traits/${name}`, message: 'is a reserved name; map the column to another trait (--map "column=traits.other")' });
  }
  if (errors.length) return { errors };

  const traits: Record<string, string> = Object.create(null);
  for (const name of ['first_name', 'last_name', 'full_name', 'date_of_birth', 'gender', 'locale', 'street', 'city', 'region', 'postal_code', 'country', 'company', 'job_title'] as const) {
    if (fields[name] !== undefined) traits[name] = fields[name];
  }
  for (const [name, value] of Object.entries(extra)) if (!Object.hasOwn(traits, name)) traits[name] = value;
  const properties: Envelope['properties'] = {};
  if (fields.lifecycle_stage !== undefined) properties.lifecycle_stage = fields.lifecycle_stage.toUpperCase();
  if (fields.status !== undefined) properties.status = fields.status;
  if (fields.tags !== undefined) properties.tags = fields.tags;

  const key = identity.source_record_id !== undefined ? `id:${identity.source_record_id}` : `row:${context.row}`;
  const digest = createHash('sha256')
    .update(JSON.stringify([key, 'crm', context.type, occurredAt, sortedObject(identity), sortedObject(traits), sortedObject(properties as Record<string, unknown>)]))
    .digest('hex')
    .slice(0, 40);
  return {
    envelope: {
      event_id: `import-${digest}`,
      source: 'crm',
      type: context.type,
      occurred_at: occurredAt ?? context.defaultOccurredAt,
      identity,
      traits,
      properties,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reading the file

/** A row of the file: cells to map, or the reasons it could not be read. */
interface SourceRow {
  row: number;
  /** Byte offset just after the row. */
  end: number;
  /** The row as it was in the file, for the rejects file. */
  original: unknown;
  cells?: readonly unknown[];
  mapping?: ColumnMapping;
  errors?: FieldError[];
}

/** Counts the bytes passing through, for the progress by bytes. */
function byteCounter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

/** The delimiter of a CSV among , ; and tab: the one found most often in the header line, outside quotes. */
export function sniffDelimiter(head: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of head.replace(/^\uFEFF/, '')) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch as keyof typeof counts]++;
  }
  const best = (Object.entries(counts) as [',' | ';' | '\t', number][]).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : ',';
}

/** Header names made unique, for the rejects file's copy of a row. */
function uniqueNames(header: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((name, i) => {
    const base = name || `column_${i + 1}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}

interface CsvReadOptions {
  start: number;
  rowsBefore: number;
  delimiter: string;
  /** The header of a resumed import; read from the file's first row otherwise. */
  header: string[] | null;
  onHeader: (header: string[]) => ColumnMapping;
  onBytes: (n: number) => void;
}

async function* csvRows(file: string, options: CsvReadOptions): AsyncGenerator<SourceRow> {
  const parser = parseCsv({
    delimiter: options.delimiter,
    bom: options.start === 0,
    info: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_ROW_BYTES,
  });
  const reader = fs.createReadStream(file, { start: options.start, highWaterMark: 256 * 1024 });
  pipeline(reader, byteCounter(options.onBytes), parser, () => undefined);
  let header = options.header;
  let mapping = header ? options.onHeader(header) : null;
  let names = header ? uniqueNames(header) : [];
  let row = options.rowsBefore;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { bytes: number; lines: number; error?: Error } }>) {
      const { record, info } = item;
      if (!header) {
        header = record.map((name) => name.trim());
        mapping = options.onHeader(header);
        names = uniqueNames(header);
        continue;
      }
      row++;
      const original: Record<string, unknown> = {};
      names.forEach((name, i) => {
        if (i < record.length) original[name] = record[i];
      });
      if (record.length > names.length) original._extra = record.slice(names.length);
      const end = options.start + info.bytes;
      if (record.length !== header.length) {
        const message = `has ${record.length} fields where the header has ${header.length}; check the quoting of this row`;
        yield { row, end, original, errors: [{ path: '/', message }] };
      } else {
        yield { row, end, original, cells: record, mapping: mapping! };
      }
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    const where = row > 0 ? ` after data row ${row}` : '';
    throw new FileReadError(`the CSV cannot be read${where}: ${maskPersonalData((error as Error).message)}`);
  } finally {
    reader.destroy();
    parser.destroy();
  }
  if (!header) throw new ImportError('the file has no header row');
}

interface NdjsonReadOptions {
  start: number;
  rowsBefore: number;
  mappingOf: (keys: string[]) => ColumnMapping;
  onBytes: (n: number) => void;
}

async function* ndjsonRows(file: string, options: NdjsonReadOptions): AsyncGenerator<SourceRow> {
  const reader = fs.createReadStream(file, { start: options.start, highWaterMark: 256 * 1024 });
  let row = options.rowsBefore;
  let lineStart = options.start;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let tooLong = false;

  const rowOf = (bytes: Buffer, end: number): SourceRow | null => {
    if (tooLong) {
      row++;
      return { row, end, original: null, errors: [{ path: '/', message: `the line is longer than ${MAX_ROW_BYTES} bytes` }] };
    }
    let text = bytes.toString('utf8');
    if (lineStart === 0 && text.startsWith('\uFEFF')) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return null;
    row++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The parser's own message quotes the line: the reason stays generic, the line goes to the rejects file.
      return { row, end, original: text, errors: [{ path: '/', message: 'the line is not valid JSON' }] };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      return { row, end, original: value, errors: [{ path: '/', message: 'the line is not a JSON object' }] };
    }
    const keys = Object.keys(value);
    return { row, end, original: value, cells: keys.map((k) => (value as Record<string, unknown>)[k]), mapping: options.mappingOf(keys) };
  };

  try {
    for await (const chunk of reader as AsyncIterable<Buffer>) {
      options.onBytes(chunk.length);
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
        const piece = chunk.subarray(from, nl);
        const bytes = pending.length ? Buffer.concat([...pending, piece]) : piece;
        const end = lineStart + pendingBytes + piece.length + 1;
        const item = rowOf(bytes, end);
        pending = [];
        pendingBytes = 0;
        tooLong = false;
        lineStart = end;
        from = nl + 1;
        if (item) yield item;
      }
      const rest = chunk.subarray(from);
      if (!tooLong) pending.push(rest);
      pendingBytes += rest.length;
      if (pendingBytes > MAX_ROW_BYTES && !tooLong) {
        tooLong = true;
        pending = [];
      }
    }
    if (pendingBytes > 0) {
      const item = rowOf(Buffer.concat(pending), lineStart + pendingBytes);
      if (item) yield item;
    }
  } finally {
    reader.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// State of an import, next to the input

interface Fingerprint {
  size: number;
  mtime_ms: number;
  head_sha256: string;
}

interface ImportState {
  version: number;
  input: string;
  fingerprint: Fingerprint;
  format: ImportFormat;
  /** What decides the events: the same file with other settings is another import. */
  settings: { type: string; map: string[]; url: string; delimiter: string | null };
  header: string[] | null;
  started_at: string;
  updated_at: string;
  rows_done: number;
  byte_offset: number;
  accepted: number;
  rejected: number;
  rejects_file: string;
  rejects_bytes: number;
  completed: boolean;
}

async function readHead(file: string): Promise<{ head: Buffer; fingerprint: Fingerprint }> {
  const stat = await fsp.stat(file);
  const handle = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    return { head: bytes, fingerprint: { size: stat.size, mtime_ms: Math.trunc(stat.mtimeMs), head_sha256: createHash('sha256').update(bytes).digest('hex') } };
  } finally {
    await handle.close();
  }
}

/** Stops files that are not UTF-8 (UTF-16 exports, Windows-1252) before any row is sent. */
function checkEncoding(head: Buffer, fileSize: number): void {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new ImportError('the file is UTF-16; export it as UTF-8 (or convert it: iconv -f UTF-16 -t UTF-8)');
  }
  // A multi-byte character may be cut at the end of the first 64 KiB: leave the last bytes out.
  const sample = head.length < fileSize ? head.subarray(0, Math.max(0, head.length - 4)) : head;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample);
  } catch {
    throw new ImportError('the file is not UTF-8 (perhaps Windows-1252 or Latin-1); export it as UTF-8 (or convert it: iconv -f WINDOWS-1252 -t UTF-8)');
  }
}

async function loadState(file: string): Promise<ImportState | null> {
  try {
    const state = JSON.parse(await fsp.readFile(file, 'utf8')) as ImportState;
    return state && state.version === STATE_VERSION ? state : null;
  } catch {
    // none yet, or unreadable: the import starts from the first row
    return null;
  }
}

async function saveState(file: string, state: ImportState): Promise<void> {
  state.updated_at = new Date().toISOString();
  const temporary = `${file}.tmp`;
  await fsp.writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await fsp.rename(temporary, file);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

// ---------------------------------------------------------------------------------------------
// Rejects file

class RejectsWriter {
  private handle: fsp.FileHandle | null = null;

  constructor(
    readonly file: string,
    public bytes: number,
  ) {}

  async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    this.handle ??= await fsp.open(this.file, 'a');
    const text = lines.join('');
    await this.handle.write(text);
    this.bytes += Buffer.byteLength(text);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Sending

interface RecordAnswer {
  status: 'accepted' | 'rejected';
  errors?: FieldError[];
}

class Interrupted extends Error {}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in seconds or as an HTTP date, in ms; capped at two minutes. */
function retryAfterMs(header: string | null): number {
  if (!header) return 0;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 120_000) : 0;
}

interface Sender {
  send(envelopes: Envelope[], rows: string): Promise<RecordAnswer[]>;
}

interface SenderOptions {
  url: string;
  apiKey: string;
  maxAttempts: number;
  retryBaseMs: number;
  requestTimeoutMs: number;
  signal?: AbortSignal;
  onRetry?: (message: string) => void;
}

function createSender(options: SenderOptions): Sender {
  const endpoint = `${options.url.replace(/\/+$/, '')}/v1/events`;

  async function post(envelopes: Envelope[], rows: string): Promise<RecordAnswer[] | 'too_large'> {
    let problem = '';
    let waitMs = 0;
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      if (attempt > 1) {
        const backoff = Math.min(options.retryBaseMs * 2 ** (attempt - 2), 30_000);
        const delay = Math.max(waitMs, backoff * (0.5 + Math.random() / 2));
        options.onRetry?.(`${problem}; sending rows ${rows} again in ${(delay / 1000).toFixed(1)} s (try ${attempt} of ${options.maxAttempts})`);
        await sleep(delay, options.signal);
      }
      waitMs = 0;
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events: envelopes }),
          signal: AbortSignal.timeout(options.requestTimeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        problem = `the server at ${options.url} could not be reached (${cause?.code ?? cause?.message ?? (error as Error).message})`;
        continue;
      }
      const text = await response.text().catch(() => '');
      type Answer = { results?: unknown; message?: unknown } | null;
      let body: Answer;
      try {
        body = JSON.parse(text) as Answer;
      } catch {
        body = null;
      }
      const message = typeof body?.message === 'string' ? `: ${maskPersonalData(body.message)}` : '';
      if ((response.status === 200 || response.status === 400) && Array.isArray(body?.results)) {
        const answers: RecordAnswer[] = envelopes.map(() => ({ status: 'rejected', errors: [{ path: '/', message: 'the server gave no answer for this record' }] }));
        for (const result of body.results as { index?: number; status?: string; errors?: FieldError[] }[]) {
          if (typeof result.index !== 'number' || result.index < 0 || result.index >= envelopes.length) continue;
          answers[result.index] = result.status === 'accepted' ? { status: 'accepted' } : { status: 'rejected', errors: Array.isArray(result.errors) ? result.errors : [] };
        }
        return answers;
      }
      if (response.status === 401 || response.status === 403) {
        throw new ImportError(`the server refused the API key (${response.status}${message}); pass --key or set C360_API_KEY`);
      }
      if (response.status === 413) return 'too_large';
      if (response.status === 429 || response.status === 503 || response.status >= 500) {
        waitMs = retryAfterMs(response.headers.get('retry-after'));
        problem = `the server answered ${response.status}${message}`;
        continue;
      }
      throw new ImportError(`the server refused rows ${rows} with ${response.status}${message}`);
    }
    throw new ImportError(`rows ${rows} were not accepted after ${options.maxAttempts} tries: ${problem}`);
  }

  async function send(envelopes: Envelope[], rows: string): Promise<RecordAnswer[]> {
    const answers = await post(envelopes, rows);
    if (answers !== 'too_large') return answers;
    // Too large a body: send the halves, down to single records.
    if (envelopes.length === 1) return [{ status: 'rejected', errors: [{ path: '/', message: 'the record is larger than the server takes in one request' }] }];
    const half = Math.ceil(envelopes.length / 2);
    return [...(await send(envelopes.slice(0, half), rows)), ...(await send(envelopes.slice(half), rows))];
  }

  return { send };
}

// ---------------------------------------------------------------------------------------------
// The import

/** The API key: the given one, C360_API_KEY, or the embedded mode's dev key file. */
export function resolveApiKey(options: { apiKey?: string; env?: NodeJS.ProcessEnv; dataDir?: string }): string {
  const env = options.env ?? process.env;
  if (options.apiKey) return options.apiKey;
  if (env.C360_API_KEY) return env.C360_API_KEY;
  const file = path.resolve(options.dataDir ?? env.C360_DATA_DIR ?? '.c360', 'dev-api-key');
  try {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (key) return key;
  } catch {
    // no dev key: the message below says what to do
  }
  throw new ImportError(`no API key: pass --key, set C360_API_KEY, or start the server in embedded mode (it writes ${file})`);
}

export function formatOf(input: string, format?: string): ImportFormat {
  if (format !== undefined) {
    if (format === 'csv' || format === 'ndjson') return format;
    throw new ImportError(`--format must be csv or ndjson, not "${format}"`);
  }
  const ext = path.extname(input).toLowerCase();
  if (['.csv', '.tsv', '.txt'].includes(ext)) return 'csv';
  if (['.ndjson', '.jsonl', '.json'].includes(ext)) return 'ndjson';
  throw new ImportError(`cannot tell the format of "${path.basename(input)}" from its extension; pass --format csv or --format ndjson`);
}

const describeMap = (map: Map<string, { column: string; target: MapTarget }>) =>
  [...map.values()].map(({ column, target }) => `${column}=${'field' in target ? target.field : `traits.${target.trait}`}`).sort();

export async function runImport(options: ImportOptions, hooks: ImportHooks = {}): Promise<ImportSummary> {
  const started = Date.now();
  const input = path.resolve(options.input);
  const notice = (message: string) => hooks.onNotice?.(message);
  const format = formatOf(input, options.format);
  const url = options.url ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new ImportError(`--url "${url}" is not a URL`);
  }
  const type = options.type ?? 'contact_created';
  if (!/^[A-Za-z0-9_.: -]{1,100}$/.test(type)) throw new ImportError(`--type "${type}" must be 1 to 100 letters, digits, _ . : - or spaces`);
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) throw new ImportError(`--batch must be a whole number from 1 to ${MAX_BATCH}`);
  let overrides: ReturnType<typeof parseColumnMap>;
  try {
    overrides = parseColumnMap(options.map);
  } catch (error) {
    if (error instanceof ColumnMapError) throw new ImportError(`--map: ${error.message}`);
    throw error;
  }
  const apiKey = resolveApiKey(options);
  const stateFile = `${input}.c360-import.json`;
  let rejectsPath = path.resolve(options.rejectsFile ?? `${input}.rejects.ndjson`);
  if (rejectsPath === input || rejectsPath === stateFile) throw new ImportError('--rejects must name another file than the input and its state file');

  let stat: fs.Stats;
  try {
    stat = await fsp.stat(input);
  } catch {
    throw new ImportError(`cannot read ${input}: no such file`);
  }
  if (!stat.isFile()) throw new ImportError(`${input} is not a file`);
  const { head, fingerprint } = await readHead(input);
  checkEncoding(head, fingerprint.size);
  const delimiter = format === 'csv' ? sniffDelimiter(head.toString('utf8')) : null;
  const settings: ImportState['settings'] = { type, map: describeMap(overrides), url, delimiter };

  // Continue an earlier import of the same file with the same settings, unless told to restart.
  const previous = await loadState(stateFile);
  const applies = previous !== null && sameJson(previous.fingerprint, fingerprint) && previous.format === format && sameJson(previous.settings, settings);
  if (previous && !applies && !options.restart) notice('the file or the settings changed since the last import of it: starting from the first row');

  const summary = (status: ImportSummary['status'], s: ImportState, run: { rows: number; accepted: number; rejected: number; skipped: number }, mapping: string | null, reasons: RejectReason[]): ImportSummary => ({
    status,
    input,
    format,
    ...run,
    total: { rows: s.rows_done, accepted: s.accepted, rejected: s.rejected },
    rejectsFile: s.rejected > 0 ? s.rejects_file : null,
    stateFile,
    mapping,
    reasons,
    elapsedMs: Date.now() - started,
  });

  if (applies && previous.completed && !options.restart) {
    notice(`this file was imported completely on ${previous.updated_at}; pass --restart to import it again`);
    return summary('already_completed', previous, { rows: 0, accepted: 0, rejected: 0, skipped: previous.rows_done }, null, []);
  }

  let state: ImportState;
  if (applies && !options.restart && previous.rows_done > 0) {
    state = previous;
    if (options.rejectsFile === undefined) rejectsPath = state.rejects_file;
    if (rejectsPath === state.rejects_file) {
      // Rejects written after the last saved batch belong to rows that are read again.
      const size = await fsp.stat(rejectsPath).then((s) => s.size, () => 0);
      if (size > state.rejects_bytes) await fsp.truncate(rejectsPath, state.rejects_bytes);
      state.rejects_bytes = Math.min(size, state.rejects_bytes);
    } else {
      notice(`rows rejected before this run are in ${state.rejects_file}`);
      await fsp.rm(rejectsPath, { force: true });
      state.rejects_file = rejectsPath;
      state.rejects_bytes = 0;
    }
    notice(`continuing after row ${state.rows_done} (${state.accepted} accepted and ${state.rejected} rejected before); pass --restart to start over`);
  } else {
    await fsp.rm(rejectsPath, { force: true });
    state = {
      version: STATE_VERSION,
      input,
      fingerprint,
      format,
      settings,
      header: null,
      started_at: new Date(started).toISOString(),
      updated_at: '',
      rows_done: 0,
      byte_offset: 0,
      accepted: 0,
      rejected: 0,
      rejects_file: rejectsPath,
      rejects_bytes: 0,
      completed: false,
    };
  }
  try {
    await saveState(stateFile, state);
  } catch (error) {
    throw new ImportError(`cannot write the state file ${stateFile}: ${(error as Error).message}`);
  }

  const skipped = state.rows_done;
  const run = { rows: 0, accepted: 0, rejected: 0, skipped };
  const reasons = new Map<string, RejectReason>();
  let mappingText: string | null = null;
  let bytesRead = state.byte_offset;
  let batches = 0;
  const onBytes = (n: number) => {
    bytesRead += n;
  };
  const rejects = new RejectsWriter(rejectsPath, state.rejects_bytes);
  const sender = createSender({
    url,
    apiKey,
    maxAttempts: options.maxAttempts ?? 8,
    retryBaseMs: options.retryBaseMs ?? 500,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    signal: hooks.signal,
    onRetry: notice,
  });

  const rows =
    format === 'csv'
      ? csvRows(input, {
          start: state.byte_offset,
          rowsBefore: state.rows_done,
          delimiter: delimiter!,
          header: state.header,
          onBytes,
          onHeader: (header) => {
            let mapping: ColumnMapping;
            try {
              mapping = detectColumns(header, overrides);
            } catch (error) {
              if (error instanceof ColumnMapError) throw new ImportError(`--map: ${error.message}`);
              throw error;
            }
            const known = new Set(header.map(columnKey));
            const missing = [...overrides].filter(([key]) => !known.has(key)).map(([, o]) => o);
            if (missing.length) {
              throw new ImportError(`--map names columns the header does not have: ${missing.map((m) => `"${m.column}"`).join(', ')}; the columns are ${header.map((h) => `"${h}"`).join(', ')}`);
            }
            if (!hasIdentifierColumn(mapping)) {
              throw new ImportError(
                `no column holds an identifier (record ID, auth user ID, email or phone); the columns are ${header.map((h) => `"${h}"`).join(', ')}. Map one with --map "COLUMN=email"`,
              );
            }
            state.header = header;
            mappingText = describeMapping(mapping);
            notice(`columns: ${mappingText}`);
            return mapping;
          },
        })
      : ndjsonRows(input, {
          start: state.byte_offset,
          rowsBefore: state.rows_done,
          onBytes,
          mappingOf: ndjsonMapping(overrides, (mapping) => {
            mappingText = describeMapping(mapping);
            notice(`keys of the first record: ${mappingText}`);
          }),
        });

  interface Batch {
    items: { row: number; original: unknown; envelope?: Envelope; errors?: FieldError[] }[];
    lastRow: number;
    end: number;
  }

  const flush = async (batch: Batch): Promise<void> => {
    const envelopes = batch.items.filter((i) => i.envelope).map((i) => i.envelope!);
    const first = batch.items[0]?.row ?? batch.lastRow;
    const answers = envelopes.length ? await sender.send(envelopes, `${first}-${batch.lastRow}`) : [];
    let next = 0;
    const lines: string[] = [];
    let accepted = 0;
    let rejected = 0;
    for (const item of batch.items) {
      let errors = item.errors;
      if (item.envelope) {
        const answer = answers[next++]!;
        if (answer.status === 'accepted') {
          accepted++;
          continue;
        }
        errors = answer.errors ?? [];
      }
      rejected++;
      const list = errors ?? [];
      lines.push(`${JSON.stringify({ row: item.row, errors: list, record: item.original })}\n`);
      for (const e of list.length ? list : [{ path: '/', message: 'rejected without a reason' }]) {
        const key = `${e.path}\u0000${e.message}`;
        const reason = reasons.get(key);
        if (reason) reason.count++;
        else if (reasons.size < 100) reasons.set(key, { path: String(e.path), message: maskPersonalData(String(e.message)), count: 1 });
      }
    }
    await rejects.write(lines);
    run.rows += batch.items.length;
    run.accepted += accepted;
    run.rejected += rejected;
    state.rows_done = batch.lastRow;
    state.byte_offset = batch.end;
    state.accepted += accepted;
    state.rejected += rejected;
    state.rejects_bytes = rejects.bytes;
    await saveState(stateFile, state);
    batches++;
    hooks.onProgress?.({
      bytesRead: Math.min(bytesRead, fingerprint.size),
      totalBytes: fingerprint.size,
      rows: run.rows,
      accepted: run.accepted,
      rejected: run.rejected,
      skipped,
      batches,
      elapsedMs: Date.now() - started,
    });
  };

  const topReasons = () => [...reasons.values()].sort((a, b) => b.count - a.count).slice(0, 10);
  let status: ImportSummary['status'] = 'completed';
  let inflight: Promise<void> | null = null;
  let failed = false;
  const defaultOccurredAt = state.started_at;
  let batch: Batch = { items: [], lastRow: state.rows_done, end: state.byte_offset };
  try {
    for await (const source of rows) {
      if (hooks.signal?.aborted || failed) break;
      let item: Batch['items'][number];
      if (source.errors) {
        item = { row: source.row, original: source.original, errors: source.errors };
      } else {
        const built = envelopeOf(readPerson(source.mapping!, source.cells!), { row: source.row, type, defaultOccurredAt });
        item = 'envelope' in built ? { row: source.row, original: source.original, envelope: built.envelope } : { row: source.row, original: source.original, errors: built.errors };
      }
      batch.items.push(item);
      batch.lastRow = source.row;
      batch.end = source.end;
      if (batch.items.length >= batchSize) {
        if (inflight) await inflight;
        if (hooks.signal?.aborted) break;
        inflight = flush(batch);
        inflight.catch(() => {
          failed = true;
        });
        batch = { items: [], lastRow: batch.lastRow, end: batch.end };
      }
    }
    if (inflight) await inflight;
    if (hooks.signal?.aborted) {
      status = 'interrupted';
    } else {
      if (batch.items.length) await flush(batch);
      state.completed = true;
      await saveState(stateFile, state);
    }
  } catch (error) {
    // A batch may still be in flight when reading fails: let it finish and save its state.
    const inflightFailed = await (inflight ?? Promise.resolve()).then(() => false, () => true);
    // The rows read before a part of the file that cannot be read are sent, so they are not lost.
    if (error instanceof FileReadError && !inflightFailed && batch.items.length && !hooks.signal?.aborted) {
      await flush(batch).catch(() => undefined);
    }
    if (error instanceof Interrupted) {
      status = 'interrupted';
    } else {
      await rejects.close().catch(() => undefined);
      const partial = summary('interrupted', state, run, mappingText, topReasons());
      if (error instanceof ImportError) throw new ImportError(error.message, partial);
      throw new ImportError(`the import stopped after row ${state.rows_done}: ${maskPersonalData((error as Error).message)}`, partial);
    }
  } finally {
    await rejects.close().catch(() => undefined);
  }
  return summary(status, state, run, mappingText, topReasons());
}

/** The mapping of NDJSON records, by their keys; records of one export mostly share their keys. */
function ndjsonMapping(overrides: ReturnType<typeof parseColumnMap>, onFirst: (mapping: ColumnMapping) => void): (keys: string[]) => ColumnMapping {
  const cache = new Map<string, ColumnMapping>();
  let first = true;
  return (keys) => {
    const signature = JSON.stringify(keys);
    let mapping = cache.get(signature);
    if (!mapping) {
      try {
        mapping = detectColumns(keys, overrides);
      } catch (error) {
        if (error instanceof ColumnMapError) throw new ImportError(`--map: ${error.message}`);
        throw error;
      }
      if (cache.size > 1000) cache.clear();
      cache.set(signature, mapping);
      if (first) onFirst(mapping);
      first = false;
    }
    return mapping;
  };
}

// ---------------------------------------------------------------------------------------------
// The command line: progress on stderr, the summary on stdout

export interface ImportCommandOptions {
  input: string;
  format?: string;
  url: string;
  key?: string;
  type: string;
  map: string[];
  batch: string;
  rejects?: string;
  restart?: boolean;
  /** Folder of the dev API key file. */
  dataDir?: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function rateOf(p: ImportProgress): number {
  return p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0;
}

function printSummary(s: ImportSummary, out: NodeJS.WritableStream, failed = false): void {
  const name = path.basename(s.input);
  const heading = failed
    ? `import of ${name} stopped after row ${s.total.rows}`
    : s.status === 'already_completed'
      ? `${name} was imported completely before; nothing to do (--restart imports it again)`
      : s.status === 'interrupted'
        ? `import of ${name} interrupted after row ${s.total.rows}; run the same command again to continue`
        : `import of ${name} completed in ${(s.elapsedMs / 1000).toFixed(1)} s`;
  const lines = [
    heading,
    `  rows read:  ${s.rows}`,
    `  accepted:   ${s.accepted}`,
    `  rejected:   ${s.rejected}`,
    `  skipped:    ${s.skipped}${s.skipped ? ' (done by an earlier run)' : ''}`,
  ];
  if (s.skipped) lines.push(`  in all:     ${s.total.rows} rows, ${s.total.accepted} accepted, ${s.total.rejected} rejected`);
  lines.push(`  rejects:    ${s.rejectsFile ?? 'none'}`);
  if (s.reasons.length) {
    lines.push('  reasons:');
    for (const r of s.reasons) lines.push(`    ${plural(r.count, 'row')}: ${r.path} ${r.message}`);
  }
  out.write(`${lines.join('\n')}\n`);
}

/** `c360 import`: runs an import with a progress bar; Ctrl-C finishes the batch in flight and exits 130. */
export async function runImportCommand(options: ImportCommandOptions): Promise<void> {
  const { default: cliProgress } = await import('cli-progress');
  const controller = new AbortController();
  const tty = Boolean(process.stderr.isTTY);
  const view: { bar: InstanceType<typeof cliProgress.SingleBar> | null } = { bar: null };
  let lastLine = 0;
  const stopBar = () => {
    view.bar?.stop();
    view.bar = null;
  };
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    stopBar();
    process.stderr.write('c360 import: interrupted; finishing the batch in flight and saving the state (Ctrl-C again quits at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);

  const onProgress = (p: ImportProgress) => {
    if (controller.signal.aborted) return;
    const payload = { rows: p.rows, rate: rateOf(p), accepted: p.accepted, rejected: p.rejected };
    if (tty) {
      if (!view.bar) {
        view.bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: 'import |{bar}| {percentage}% | {rows} rows | {rate} rows/s | {accepted} accepted | {rejected} rejected',
            hideCursor: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        view.bar.start(p.totalBytes, p.bytesRead, payload);
      } else {
        view.bar.update(p.bytesRead, payload);
      }
    } else if (Date.now() - lastLine >= 10_000) {
      lastLine = Date.now();
      const percent = p.totalBytes ? Math.floor((p.bytesRead * 100) / p.totalBytes) : 100;
      process.stderr.write(`import: ${percent}% of the file, ${p.rows} rows, ${payload.rate} rows/s, ${p.accepted} accepted, ${p.rejected} rejected\n`);
    }
  };

  let summary: ImportSummary;
  try {
    summary = await runImport(
      {
        input: options.input,
        format: options.format as ImportFormat | undefined,
        url: options.url,
        apiKey: options.key,
        type: options.type,
        map: options.map,
        batchSize: Number(options.batch),
        rejectsFile: options.rejects,
        restart: options.restart,
        dataDir: options.dataDir,
      },
      {
        signal: controller.signal,
        onProgress,
        // Over the bar's line: the bar draws itself again at its next update.
        onNotice: (message) => process.stderr.write(`${view.bar ? '\r\x1b[2K' : ''}c360 import: ${message}\n`),
      },
    );
  } catch (error) {
    stopBar();
    if (!(error instanceof ImportError)) throw error;
    process.stderr.write(`c360 import: ${error.message}\n`);
    if (error.summary) {
      printSummary(error.summary, process.stderr, true);
      if (error.summary.total.rows > 0) {
        process.stderr.write(`rows 1-${error.summary.total.rows} are done and saved in ${error.summary.stateFile}; run the same command again once the cause is fixed\n`);
      }
    }
    process.exitCode = 1;
    return;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  if (view.bar && summary.status === 'completed') view.bar.update(view.bar.getTotal());
  stopBar();
  printSummary(summary, process.stdout);
  if (summary.status === 'interrupted') process.exitCode = 130;
}
