/** The interfaces and errors the parts of an import share. */
import type { FieldError } from '../../schemas/from-json.ts';
import type { ColumnMapping, IDENTIFIER_FIELDS, parseColumnMap } from '../columns.ts';

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
export class FileReadError extends ImportError {}

/** The import's signal aborted during a wait between tries. */
export class Interrupted extends Error {}

export interface Envelope {
  event_id: string;
  source: 'crm';
  type: string;
  occurred_at: string;
  identity: Partial<Record<(typeof IDENTIFIER_FIELDS)[number], string>>;
  traits: Record<string, string>;
  properties: { lifecycle_stage?: string; status?: string; tags?: string[] };
}

/** The longest row (CSV record or NDJSON line) the readers take. */
export const MAX_ROW_BYTES = 1024 * 1024;

/** A row of the file: cells to map, or the reasons it could not be read. */
export interface SourceRow {
  row: number;
  /** Byte offset just after the row. */
  end: number;
  /** The row as it was in the file, for the rejects file. */
  original: unknown;
  cells?: readonly unknown[];
  mapping?: ColumnMapping;
  errors?: FieldError[];
}

export type ColumnOverrides = ReturnType<typeof parseColumnMap>;

/** The options of an import, checked, with their defaults filled in. */
export interface ImportPlan {
  /** When the import started (Date.now()). */
  started: number;
  input: string;
  format: ImportFormat;
  url: string;
  type: string;
  batchSize: number;
  overrides: ColumnOverrides;
  apiKey: string;
  stateFile: string;
  rejectsPath: string;
  /** Whether --rejects named the rejects file (a resumed import keeps its own otherwise). */
  rejectsGiven: boolean;
  restart: boolean;
}

/** One run of an import: the state it saves and what it counted so far. */
export interface ImportRun {
  readonly plan: ImportPlan;
  readonly state: ImportState;
  readonly hooks: ImportHooks;
  readonly notice: (message: string) => void;
  /** Rows of this run; skipped are those of earlier runs. */
  readonly counts: { rows: number; accepted: number; rejected: number; skipped: number };
  /** This run's reasons of rejections, by path and message. */
  readonly reasons: Map<string, RejectReason>;
  /** The mapping of the columns, column names only, once the reader has seen the header. */
  mappingText: string | null;
  /** Position in the file reached by the reader, in bytes. */
  bytesRead: number;
  batches: number;
}

/** The resume state file's content (state-file.ts reads and writes it). */
export interface Fingerprint {
  size: number;
  mtime_ms: number;
  head_sha256: string;
}

export interface ImportState {
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
