/** Reading a CSV export: delimiter sniffing, a header row, one SourceRow per record. */
import fs from 'node:fs';
import { pipeline, Transform } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { maskPersonalData } from '../../platform/logger.ts';
import type { ColumnMapping } from '../columns.ts';
import { FileReadError, ImportError, MAX_ROW_BYTES, type SourceRow } from './types.ts';

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

export async function* csvRows(file: string, options: CsvReadOptions): AsyncGenerator<SourceRow> {
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
