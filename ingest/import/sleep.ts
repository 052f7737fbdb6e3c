import { Interrupted } from './types.ts';

/**
 * Waits `ms`, or rejects with Interrupted as soon as the signal aborts. platform/retry.ts has a
 * sleep that cannot be aborted; the importer's waits (up to two minutes of Retry-After) must end
 * at Ctrl-C.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
