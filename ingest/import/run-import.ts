/**
 * runImport: one run of an import, in its parts: check the options, open and check the input,
 * resume from the state file (or start over), set up the mapping and the reader, the batch loop,
 * and the summary. It writes nothing to stdout or stderr; the hooks tell the caller.
 */
import path from 'node:path';
import { maskPersonalData } from '../../platform/logger.ts';
import { resolveApiKey } from './api-key.ts';
import { sendBatches } from './batches.ts';
import { describeMap, openRows, parseOverrides } from './column-mapping.ts';
import { formatOf, openInput } from './input-file.ts';
import { RejectsWriter, topReasons } from './rejects-file.ts';
import { resumeOrStart } from './resume.ts';
import { createSender } from './send.ts';
import { stateFileOf, type ImportState } from './state-file.ts';
import { ImportError, type ImportHooks, type ImportOptions, type ImportPlan, type ImportRun, type ImportSummary } from './types.ts';

const DEFAULT_URL = 'http://127.0.0.1:8080';
const MAX_BATCH = 1000;

/** The options checked, with their defaults; throws ImportError naming the option that is wrong. */
function planImport(options: ImportOptions): ImportPlan {
  const started = Date.now();
  const input = path.resolve(options.input);
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
  const overrides = parseOverrides(options.map);
  const apiKey = resolveApiKey(options);
  const stateFile = stateFileOf(input);
  const rejectsPath = path.resolve(options.rejectsFile ?? `${input}.rejects.ndjson`);
  if (rejectsPath === input || rejectsPath === stateFile) throw new ImportError('--rejects must name another file than the input and its state file');
  return { started, input, format, url, type, batchSize, overrides, apiKey, stateFile, rejectsPath, rejectsGiven: options.rejectsFile !== undefined, restart: Boolean(options.restart) };
}

function summaryOf(plan: ImportPlan, status: ImportSummary['status'], state: ImportState, counts: ImportRun['counts'], mapping: string | null, reasons: ImportSummary['reasons']): ImportSummary {
  return {
    status,
    input: plan.input,
    format: plan.format,
    ...counts,
    total: { rows: state.rows_done, accepted: state.accepted, rejected: state.rejected },
    rejectsFile: state.rejected > 0 ? state.rejects_file : null,
    stateFile: plan.stateFile,
    mapping,
    reasons,
    elapsedMs: Date.now() - plan.started,
  };
}

/** The batch loop and its summary; a failure is thrown as an ImportError with the summary so far. */
async function sendAll(run: ImportRun, delimiter: string | null, options: ImportOptions): Promise<ImportSummary> {
  const { plan, state, hooks } = run;
  const rejects = new RejectsWriter(state.rejects_file, state.rejects_bytes);
  const sender = createSender({
    url: plan.url,
    apiKey: plan.apiKey,
    maxAttempts: options.maxAttempts ?? 8,
    retryBaseMs: options.retryBaseMs ?? 500,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    signal: hooks.signal,
    onRetry: run.notice,
  });
  let status: ImportSummary['status'];
  try {
    status = await sendBatches(run, openRows(run, delimiter), sender, rejects);
  } catch (error) {
    await rejects.close().catch(() => undefined);
    const partial = summaryOf(plan, 'interrupted', state, run.counts, run.mappingText, topReasons(run.reasons));
    if (error instanceof ImportError) throw new ImportError(error.message, partial);
    throw new ImportError(`the import stopped after row ${state.rows_done}: ${maskPersonalData((error as Error).message)}`, partial);
  } finally {
    await rejects.close().catch(() => undefined);
  }
  return summaryOf(plan, status, state, run.counts, run.mappingText, topReasons(run.reasons));
}

export async function runImport(options: ImportOptions, hooks: ImportHooks = {}): Promise<ImportSummary> {
  const plan = planImport(options);
  const notice = (message: string) => hooks.onNotice?.(message);
  const { fingerprint, delimiter } = await openInput(plan.input, plan.format);
  const settings: ImportState['settings'] = { type: plan.type, map: describeMap(plan.overrides), url: plan.url, delimiter };
  const start = await resumeOrStart(plan, fingerprint, settings, notice);
  if (start.kind === 'already_completed') {
    return summaryOf(plan, 'already_completed', start.previous, { rows: 0, accepted: 0, rejected: 0, skipped: start.previous.rows_done }, null, []);
  }
  const { state } = start;
  const run: ImportRun = {
    plan,
    state,
    hooks,
    notice,
    counts: { rows: 0, accepted: 0, rejected: 0, skipped: state.rows_done },
    reasons: new Map(),
    mappingText: null,
    bytesRead: state.byte_offset,
    batches: 0,
  };
  return sendAll(run, delimiter, options);
}
