/**
 * Part 2 of the read API bench, the segment export: the seeded segment streamed as NDJSON and
 * CSV (all members, then those with email consent), `--export-runs` times, with rows per
 * second, time to the first byte, peak RSS and the longest stall of the server's event loop.
 */
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mib, num, sleep, type Progress } from '../util.ts';
import type { Client } from './client.ts';
import { EXPORT_SEGMENT } from './constants.ts';
import { cpuMark, cpuShare, cpuText, type CpuShare } from './cpu.ts';
import type { Options } from './options.ts';

const HWM = /^VmHWM:\s+(\d+) kB/m;
function status(pattern: RegExp): number {
  try {
    const match = pattern.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}
/** Resets the kernel's peak RSS of this process to its current RSS (Linux 4.0+); false when it cannot. */
function resetPeakRss(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export interface ExportRun {
  variant: string;
  rows: number;
  expectedRows: number;
  seconds: number;
  rowsPerSecond: number;
  mibPerSecond: number;
  bytes: number;
  firstByteMs: number;
  rssBefore: number;
  /** Kernel high-water mark of RSS during the export (reset before it), else the sampled peak. */
  peakRss: number;
  peakFrom: 'VmHWM' | 'sampled';
  /** Longest the main thread's event loop (the server) was blocked during the export. */
  eventLoopMaxMs: number;
  cpu: CpuShare;
}

export async function segmentExport(client: Client, options: Options, progress: Progress): Promise<ExportRun[]> {
  const consented = Math.ceil(options.members / 2);
  const variants = [
    { variant: 'ndjson', query: 'format=ndjson', header: 0, expected: options.members },
    { variant: 'csv', query: 'format=csv', header: 1, expected: options.members },
    { variant: 'ndjson, channel=email', query: 'format=ndjson&channel=email', header: 0, expected: consented },
    { variant: 'csv, channel=email', query: 'format=csv&channel=email', header: 1, expected: consented },
  ];
  const runs: ExportRun[] = [];
  for (let run = 1; run <= options.exportRuns; run++) {
    for (const v of variants) {
      progress.set(() => `export run ${run}/${options.exportRuns}: ${v.variant}`);
      await sleep(500); // let the previous export's garbage settle a moment
      const rssBefore = process.memoryUsage.rss();
      const reset = resetPeakRss();
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const mark = cpuMark();
      const transfer = await client.exportOnce(`/v1/segments/${EXPORT_SEGMENT}/members?${v.query}`);
      loop.disable();
      const cpu = cpuShare(mark);
      const hwm = status(HWM);
      const peakFromKernel = reset && Number.isFinite(hwm);
      const rows = transfer.lines - v.header;
      const r: ExportRun = {
        variant: v.variant,
        rows,
        expectedRows: v.expected,
        seconds: transfer.seconds,
        rowsPerSecond: rows / transfer.seconds,
        mibPerSecond: transfer.bytes / 1024 / 1024 / transfer.seconds,
        bytes: transfer.bytes,
        firstByteMs: transfer.firstByteMs ?? NaN,
        rssBefore,
        peakRss: peakFromKernel ? Math.max(hwm, transfer.peakSampledRss) : transfer.peakSampledRss,
        peakFrom: peakFromKernel ? 'VmHWM' : 'sampled',
        eventLoopMaxMs: loop.max / 1e6,
        cpu,
      };
      runs.push(r);
      progress.stop();
      progress.note(
        `export run ${run}/${options.exportRuns} ${v.variant}: ${num(rows)} rows${rows === v.expected ? '' : ` (expected ${num(v.expected)})`} in ${num(r.seconds, 2)} s = ${num(r.rowsPerSecond)} rows/s, first byte after ${num(r.firstByteMs)} ms, RSS ${mib(r.rssBefore)} -> peak ${mib(r.peakRss)}, event loop blocked up to ${num(r.eventLoopMaxMs)} ms; ${cpuText(cpu)}`,
      );
    }
  }
  return runs;
}
