/** Formatting of latencies for the progress lines and the report of the read API bench. */
import { num } from '../util.ts';

/** Milliseconds, or "> timeout" for a percentile that fell on a request dropped after `timeoutMs`. */
export const msFormat =
  (timeoutMs: number) =>
  (value: number, digits = 1): string =>
    Number.isFinite(value) ? `${num(value, digits)} ms` : `> ${num(timeoutMs)} ms`;
