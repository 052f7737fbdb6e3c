/**
 * The HTTP load: `clients` concurrent clients POSTing batches to /v1/events, run in a worker
 * thread so that building requests and reading answers does not take turns with the server on
 * the main thread's event loop (as an external client would not). A 503 (transport
 * unavailable) is retried after a pause and counted; anything else but 200 fails the run.
 */
import { Worker } from 'node:worker_threads';

/** Milliseconds since the epoch with sub-millisecond precision, comparable across threads. */
export const now = () => performance.timeOrigin + performance.now();

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { url, apiKey, batches, clients } = workerData;
const now = () => performance.timeOrigin + performance.now();
const bodies = batches.map((b) => JSON.stringify(b));
const sizes = batches.map((b) => b.length);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run() {
  const latencies = [];
  let next = 0, accepted = 0, rejected = 0, retries = 0, firstRejection = null;
  const startedAt = now();
  async function client() {
    for (;;) {
      const i = next++;
      if (i >= bodies.length) return;
      for (;;) {
        const t = now();
        const response = await fetch(url + '/v1/events', {
          method: 'POST',
          headers: { authorization: 'Bearer ' + apiKey, 'content-type': 'application/json' },
          body: bodies[i],
        });
        const text = await response.text();
        const elapsed = now() - t;
        if (response.status === 503) { retries++; await sleep(200); continue; }
        if (response.status !== 200) throw new Error('POST /v1/events answered ' + response.status + ': ' + text.slice(0, 400));
        const body = JSON.parse(text);
        accepted += body.accepted;
        rejected += body.rejected;
        if (body.rejected > 0 && firstRejection === null) firstRejection = JSON.stringify(body.results.find((r) => r.status === 'rejected'));
        latencies.push(elapsed);
        parentPort.postMessage({ type: 'progress', accepted, sent: sizes[i] });
        break;
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, client));
  return { startedAt, finishedAt: now(), accepted, rejected, retries, latencies, firstRejection };
}

parentPort.on('message', (message) => {
  if (message !== 'start') return;
  run().then(
    (result) => parentPort.postMessage({ type: 'done', result }),
    (error) => parentPort.postMessage({ type: 'error', message: String(error && error.stack || error) }),
  );
});
parentPort.postMessage({ type: 'ready' });
`;

export interface LoadResult {
  startedAt: number;
  finishedAt: number;
  accepted: number;
  rejected: number;
  retries: number;
  /** Milliseconds of each successful POST. */
  latencies: number[];
  firstRejection: string | null;
}

export interface Load {
  /** Starts the clients; resolves with the time the first request went out. */
  start(): number;
  done: Promise<LoadResult>;
  accepted(): number;
}

/** Prepares the request bodies in a worker; `start()` fires. */
export async function prepareLoad(options: { url: string; apiKey: string; batches: unknown[][]; clients: number }): Promise<Load> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: options });
  let accepted = 0;
  let resolveDone!: (r: LoadResult) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<LoadResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined); // awaited by the caller; never an unhandled rejection meanwhile
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: { type: string; accepted?: number; result?: LoadResult; message?: string }) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'progress') accepted = message.accepted!;
      else if (message.type === 'done') {
        resolveDone(message.result!);
        void worker.terminate();
      } else if (message.type === 'error') {
        rejectDone(new Error(message.message));
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      reject(error);
      rejectDone(error);
    });
  });
  await ready;
  return {
    start() {
      const at = now();
      worker.postMessage('start');
      return at;
    },
    done,
    accepted: () => accepted,
  };
}
