/** Command-line options of `bench:ingest`: the usage text and parsing `argv` into Options. */
import { parseArgs } from 'node:util';

export interface Options {
  runs: number;
  seconds: number;
  warmup: number;
  concurrency: number;
  batch: number;
  processes: number;
}

export const USAGE = `usage: tsx bench/ingest.ts [--runs 3] [--seconds 20] [--warmup 3] [--concurrency 8] [--batch 100] [--processes 1]
  --runs         runs; each measures HTTP and raw KafkaJS, alternating which goes first
  --seconds      measured seconds of each measure
  --warmup       seconds sent before each measured window, not counted
  --concurrency  concurrent HTTP clients, and concurrent KafkaJS sends
  --batch        events per POST /v1/events, and messages per KafkaJS send
  --processes    ingest processes serving HTTP (default 2, one per core of a 2-core machine): more
                 than 1 runs \`c360 start --services ingest\` with C360_INGEST_PROCESSES as a
                 child process; 1 measures the runtime in this process`;

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '8' },
      batch: { type: 'string', default: '100' },
      processes: { type: 'string', default: '2' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const number = (name: 'runs' | 'seconds' | 'warmup' | 'concurrency' | 'batch' | 'processes', min: number, max: number, integer = true) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new Error(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${values[name]}"`);
    }
    return value;
  };
  return {
    runs: number('runs', 1, 100),
    seconds: number('seconds', 1, 3600, false),
    warmup: number('warmup', 0, 600, false),
    concurrency: number('concurrency', 1, 1000),
    batch: number('batch', 1, 100_000),
    processes: number('processes', 1, 64),
  };
}
