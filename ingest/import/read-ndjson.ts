/** Reading an NDJSON export: one SourceRow per line, split by bytes so offsets stay exact. */
import fs from 'node:fs';
import type { ColumnMapping } from '../columns.ts';
import { MAX_ROW_BYTES, type SourceRow } from './types.ts';

interface NdjsonReadOptions {
  start: number;
  rowsBefore: number;
  mappingOf: (keys: string[]) => ColumnMapping;
  onBytes: (n: number) => void;
}

export async function* ndjsonRows(file: string, options: NdjsonReadOptions): AsyncGenerator<SourceRow> {
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
