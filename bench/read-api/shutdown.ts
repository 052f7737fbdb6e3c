/**
 * Clean-up of the read API bench: the steps that stop the runtime and remove its data, run once
 * on the way out, and the interrupt that runs them on Ctrl-C, SIGTERM or an unhandled error.
 */
import type { Progress } from '../util.ts';

/** Longest a cleanup step may take before the next one runs (a runtime whose Postgres already died). */
const CLEANUP_STEP_MS = 20_000;

export interface Shutdown {
  /** Adds a step; steps run last pushed first. */
  push(cleanup: () => Promise<void>): void;
  /** Runs the cleanups, last pushed first, once: every caller waits for the same pass. */
  cleanupAll(): Promise<void>;
  /** Stops the progress line, runs the cleanups and exits with `code`; only the first call acts. */
  interrupt(why: string, code: number): void;
  /** Set once interrupt was called. */
  readonly interrupted: boolean;
  /** Set once the runtime is stopped and the folder removed after a complete run. */
  finished: boolean;
}

export function createShutdown(progress: Progress): Shutdown {
  const cleanups: (() => Promise<void>)[] = [];
  let cleaning: Promise<void> | null = null;
  let interrupted = false;

  const cleanupAll = (): Promise<void> => {
    cleaning ??= (async () => {
      while (cleanups.length) {
        const cleanup = cleanups.pop()!;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            process.stderr.write(`bench: a cleanup step took more than ${CLEANUP_STEP_MS / 1000} s, going on\n`);
            resolve();
          }, CLEANUP_STEP_MS);
        });
        await Promise.race([cleanup().catch((error) => process.stderr.write(`bench: cleanup failed: ${(error as Error).message}\n`)), timeout]);
        clearTimeout(timer);
      }
    })();
    return cleaning;
  };

  /**
   * Ctrl-C, SIGTERM, or an error nothing handled: stop the runtime, remove the data folder, exit.
   * Ctrl-C reaches the embedded Postgres too (same process group), which then ends its
   * connections; the pool's clients report that as errors nobody listens to, which must not end
   * the process before its data folder is gone.
   */
  const interrupt = (why: string, code: number): void => {
    if (interrupted) return;
    interrupted = true;
    progress.stop();
    process.stderr.write(`bench: ${why}, stopping the runtime and removing its data\n`);
    void cleanupAll().finally(() => process.exit(code));
  };

  return {
    push: (cleanup) => void cleanups.push(cleanup),
    cleanupAll,
    interrupt,
    get interrupted() {
      return interrupted;
    },
    finished: false,
  };
}
