/**
 * The rejects file: one NDJSON line per rejected row, with the row number, the reasons and the
 * row as it was in the file. Only this file holds row contents; the tally of reasons masks
 * personal data in the messages, for the summary.
 */
import fsp from 'node:fs/promises';
import { maskPersonalData } from '../../platform/logger.ts';
import type { FieldError } from '../../schemas/from-json.ts';
import type { RejectReason } from './types.ts';

/** Appends to the rejects file, opened at the first rejected row; `bytes` is its size so far. */
export class RejectsWriter {
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

/** The line of the rejects file of one row. */
export const rejectLine = (row: number, errors: FieldError[], original: unknown) => `${JSON.stringify({ row, errors, record: original })}\n`;

/** Counts a rejected row's reasons; at most 100 different reasons are kept. */
export function countReasons(reasons: Map<string, RejectReason>, errors: FieldError[]): void {
  for (const e of errors.length ? errors : [{ path: '/', message: 'rejected without a reason' }]) {
    const key = `${e.path}\u0000${e.message}`;
    const reason = reasons.get(key);
    if (reason) reason.count++;
    else if (reasons.size < 100) reasons.set(key, { path: String(e.path), message: maskPersonalData(String(e.message)), count: 1 });
  }
}

/** The ten most frequent reasons. */
export const topReasons = (reasons: Map<string, RejectReason>) => [...reasons.values()].sort((a, b) => b.count - a.count).slice(0, 10);
