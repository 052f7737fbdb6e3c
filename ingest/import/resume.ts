/**
 * Resuming from the state file: an earlier import of the same file with the same settings goes
 * on after its last saved batch, unless told to restart; anything else starts from the first row.
 */
import fsp from 'node:fs/promises';
import { loadState, newState, saveState, type Fingerprint, type ImportState } from './state-file.ts';
import { ImportError, type ImportPlan } from './types.ts';

export type ImportStart = { kind: 'already_completed'; previous: ImportState } | { kind: 'run'; state: ImportState };

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The state to go on from, saved before any row is read; or the earlier import that completed. */
export async function resumeOrStart(plan: ImportPlan, fingerprint: Fingerprint, settings: ImportState['settings'], notice: (message: string) => void): Promise<ImportStart> {
  const previous = await loadState(plan.stateFile);
  const applies = previous !== null && sameJson(previous.fingerprint, fingerprint) && previous.format === plan.format && sameJson(previous.settings, settings);
  if (previous && !applies && !plan.restart) notice('the file or the settings changed since the last import of it: starting from the first row');
  if (applies && previous.completed && !plan.restart) {
    notice(`this file was imported completely on ${previous.updated_at}; pass --restart to import it again`);
    return { kind: 'already_completed', previous };
  }

  let state: ImportState;
  if (applies && !plan.restart && previous.rows_done > 0) {
    state = await continued(previous, plan, notice);
  } else {
    await fsp.rm(plan.rejectsPath, { force: true });
    state = newState({ input: plan.input, fingerprint, format: plan.format, settings, started_at: new Date(plan.started).toISOString(), rejects_file: plan.rejectsPath });
  }
  try {
    await saveState(plan.stateFile, state);
  } catch (error) {
    throw new ImportError(`cannot write the state file ${plan.stateFile}: ${(error as Error).message}`);
  }
  return { kind: 'run', state };
}

/** The earlier state, with the rejects file cut back to the rows it has done. */
async function continued(state: ImportState, plan: ImportPlan, notice: (message: string) => void): Promise<ImportState> {
  const rejectsPath = plan.rejectsGiven ? plan.rejectsPath : state.rejects_file;
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
  return state;
}
