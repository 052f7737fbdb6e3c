/** Command-line options of the read API bench: parsed from process.argv and checked. */
import { parseArgs } from 'node:util';

export interface Options {
  profiles: number;
  members: number;
  rps: number;
  seconds: number;
  warmup: number;
  runs: number;
  exportRuns: number;
  trials: number;
  timeoutMs: number;
  concurrency: number;
  capacitySeconds: number;
}

/** The options of `args` (the process's arguments by default); throws on a value out of range. */
export function parseOptions(args?: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      profiles: { type: 'string', default: '100000' },
      members: { type: 'string', default: '1000000' },
      rps: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      'export-runs': { type: 'string', default: '1' },
      trials: { type: 'string', default: '5' },
      'timeout-ms': { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '8' },
      'capacity-seconds': { type: 'string', default: '5' },
    },
  });
  const positive = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number, got "${values[name]}"`);
    return value;
  };
  const options: Options = {
    profiles: positive('profiles'),
    members: positive('members'),
    rps: positive('rps'),
    seconds: positive('seconds'),
    warmup: Number(values.warmup),
    runs: positive('runs'),
    exportRuns: positive('export-runs'),
    trials: positive('trials'),
    timeoutMs: positive('timeout-ms'),
    concurrency: positive('concurrency'),
    capacitySeconds: positive('capacity-seconds'),
  };
  if (!Number.isInteger(options.warmup) || options.warmup < 0) throw new Error(`--warmup must be a whole number of seconds, got "${values.warmup}"`);
  return options;
}
