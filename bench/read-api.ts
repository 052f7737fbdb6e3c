/** `npm run bench:read-api`: the read API on the embedded stack; the parts are in bench/read-api/ (see its main.ts). */
import { run } from './read-api/main.ts';

run();
