/** The input of an import: its format, and a first look at it before any row is sent. */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { sniffDelimiter } from './read-csv.ts';
import { readHead, type Fingerprint } from './state-file.ts';
import { ImportError, type ImportFormat } from './types.ts';

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

/** Checks the input is a readable UTF-8 file; its fingerprint, and a CSV's delimiter. */
export async function openInput(input: string, format: ImportFormat): Promise<{ fingerprint: Fingerprint; delimiter: string | null }> {
  let stat: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    stat = await fsp.stat(input);
  } catch {
    throw new ImportError(`cannot read ${input}: no such file`);
  }
  if (!stat.isFile()) throw new ImportError(`${input} is not a file`);
  const { head, fingerprint } = await readHead(input);
  checkEncoding(head, fingerprint.size);
  const delimiter = format === 'csv' ? sniffDelimiter(head.toString('utf8')) : null;
  return { fingerprint, delimiter };
}
