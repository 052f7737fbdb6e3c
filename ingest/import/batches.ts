/**
 * The batch loop of an import: rows to envelopes, sent in batches with one batch in flight while
 * the next is read; after each answered batch the rejects are written and the state is saved.
 */
import type { FieldError } from '../../schemas/from-json.ts';
import { readPerson } from '../columns.ts';
import { envelopeOf } from './envelope.ts';
import { countReasons, rejectLine, type RejectsWriter } from './rejects-file.ts';
import type { Sender } from './send.ts';
import { saveState } from './state-file.ts';
import { FileReadError, Interrupted, type Envelope, type ImportRun, type SourceRow } from './types.ts';

interface BatchItem {
  row: number;
  original: unknown;
  envelope?: Envelope;
  errors?: FieldError[];
}

interface Batch {
  items: BatchItem[];
  lastRow: number;
  /** Byte offset just after the batch's last row. */
  end: number;
}

function itemOf(source: SourceRow, type: string, defaultOccurredAt: string): BatchItem {
  if (source.errors) return { row: source.row, original: source.original, errors: source.errors };
  const built = envelopeOf(readPerson(source.mapping!, source.cells!), { row: source.row, type, defaultOccurredAt });
  return 'envelope' in built ? { row: source.row, original: source.original, envelope: built.envelope } : { row: source.row, original: source.original, errors: built.errors };
}

/** Sends a batch, writes its rejects, saves the state after it and reports the progress. */
function createFlush(run: ImportRun, sender: Sender, rejects: RejectsWriter): (batch: Batch) => Promise<void> {
  const { state, hooks, counts } = run;
  return async function flush(batch) {
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
      lines.push(rejectLine(item.row, list, item.original));
      countReasons(run.reasons, list);
    }
    await rejects.write(lines);
    counts.rows += batch.items.length;
    counts.accepted += accepted;
    counts.rejected += rejected;
    state.rows_done = batch.lastRow;
    state.byte_offset = batch.end;
    state.accepted += accepted;
    state.rejected += rejected;
    state.rejects_bytes = rejects.bytes;
    await saveState(run.plan.stateFile, state);
    run.batches++;
    hooks.onProgress?.({
      bytesRead: Math.min(run.bytesRead, state.fingerprint.size),
      totalBytes: state.fingerprint.size,
      rows: counts.rows,
      accepted: counts.accepted,
      rejected: counts.rejected,
      skipped: counts.skipped,
      batches: run.batches,
      elapsedMs: Date.now() - run.plan.started,
    });
  };
}

/**
 * Sends all rows and marks the import completed, or stops at the signal ("interrupted"). On a
 * failure, the batch in flight finishes and saves its state first, and the rows read before a
 * part of the file that cannot be read are sent, so they are not lost; then the failure is thrown.
 */
export async function sendBatches(run: ImportRun, rows: AsyncGenerator<SourceRow>, sender: Sender, rejects: RejectsWriter): Promise<'completed' | 'interrupted'> {
  const { state, plan } = run;
  const signal = run.hooks.signal;
  const flush = createFlush(run, sender, rejects);
  let inflight: Promise<void> | null = null;
  let failed = false;
  let batch: Batch = { items: [], lastRow: state.rows_done, end: state.byte_offset };
  try {
    for await (const source of rows) {
      if (signal?.aborted || failed) break;
      batch.items.push(itemOf(source, plan.type, state.started_at));
      batch.lastRow = source.row;
      batch.end = source.end;
      if (batch.items.length >= plan.batchSize) {
        if (inflight) await inflight;
        if (signal?.aborted) break;
        inflight = flush(batch);
        inflight.catch(() => {
          failed = true;
        });
        batch = { items: [], lastRow: batch.lastRow, end: batch.end };
      }
    }
    if (inflight) await inflight;
    if (signal?.aborted) return 'interrupted';
    if (batch.items.length) await flush(batch);
    state.completed = true;
    await saveState(plan.stateFile, state);
    return 'completed';
  } catch (error) {
    const inflightFailed = await (inflight ?? Promise.resolve()).then(() => false, () => true);
    if (error instanceof FileReadError && !inflightFailed && batch.items.length && !signal?.aborted) {
      await flush(batch).catch(() => undefined);
    }
    if (error instanceof Interrupted) return 'interrupted';
    throw error;
  }
}
