/** `c360 import`, the command line: progress on stderr, the summary on stdout. */
import path from 'node:path';
import { runImport } from './run-import.ts';
import { ImportError, type ImportFormat, type ImportProgress, type ImportSummary } from './types.ts';

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
