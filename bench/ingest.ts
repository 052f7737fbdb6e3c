/** `npm run bench:ingest`: the entry point; the benchmark is in bench/ingest/ (described in bench/ingest/main.ts). */
import { run } from './ingest/main.ts';

run(process.argv.slice(2));
