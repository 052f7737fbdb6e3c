/** Number formats and the markdown table of the report and the progress lines. */
import { num } from '../util.ts';
import type { Measured } from './measures.ts';

export function markdownTable(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(3, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (rightAligned[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

export const perSecond = (v: number) => num(v);
export const ms = (v: number) => `${num(v, 1)} ms`;
export const ratio = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
export const cores = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
export const us = (v: number) => `${num(v, 1)} µs`;
export const failures = (m: Measured) => m.rejected + m.status429 + m.status503 + m.otherFailures;
