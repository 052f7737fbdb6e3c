/**
 * The state of an import, in a file next to the input: the fingerprint of the file and the
 * settings it was imported with (the same file with other settings is another import), how far
 * it got, and how much of the rejects file belongs to the rows done.
 */
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import type { Fingerprint, ImportFormat, ImportState } from './types.ts';

export type { Fingerprint, ImportState };

const STATE_VERSION = 1;
/** The bytes read for the fingerprint, the delimiter and the encoding check. */
const HEAD_BYTES = 64 * 1024;

export const stateFileOf = (input: string) => `${input}.c360-import.json`;

/** The state of an import that has not sent a row yet. */
export function newState(fields: Pick<ImportState, 'input' | 'fingerprint' | 'format' | 'settings' | 'started_at' | 'rejects_file'>): ImportState {
  return {
    version: STATE_VERSION,
    input: fields.input,
    fingerprint: fields.fingerprint,
    format: fields.format,
    settings: fields.settings,
    header: null,
    started_at: fields.started_at,
    updated_at: '',
    rows_done: 0,
    byte_offset: 0,
    accepted: 0,
    rejected: 0,
    rejects_file: fields.rejects_file,
    rejects_bytes: 0,
    completed: false,
  };
}

/** The first 64 KiB of the file and its fingerprint (size, mtime, digest of those bytes). */
export async function readHead(file: string): Promise<{ head: Buffer; fingerprint: Fingerprint }> {
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

export async function loadState(file: string): Promise<ImportState | null> {
  try {
    const state = JSON.parse(await fsp.readFile(file, 'utf8')) as ImportState;
    return state && state.version === STATE_VERSION ? state : null;
  } catch {
    // none yet, or unreadable: the import starts from the first row
    return null;
  }
}

export async function saveState(file: string, state: ImportState): Promise<void> {
  state.updated_at = new Date().toISOString();
  const temporary = `${file}.tmp`;
  await fsp.writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await fsp.rename(temporary, file);
}
