/** The lookup client on the main thread's side: starts the worker thread and sends it work. */
import { Worker } from 'node:worker_threads';
import { API_KEY, MAX_SOCKETS } from './constants.ts';
import { WORKER_SOURCE } from './client-worker.ts';

export interface LookupResult {
  total: number;
  ok: number;
  errors: number;
  dropped: number;
  late: number;
  firstError: string | null;
  statuses: Record<string, number>;
  start: number;
  lastOkEnd: number;
  maxAnswered: number;
  maxScheduleLagMs: number;
  latencies: Float64Array;
}

export interface ExportTransfer {
  seconds: number;
  firstByteMs: number | null;
  bytes: number;
  lines: number;
  peakSampledRss: number;
}

export interface CapacityTransfer {
  seconds: number;
  ok: number;
  errors: number;
  firstError: string | null;
  latencies: number[];
}

export interface Client {
  capacity(seconds: number, concurrency: number, seed: number): Promise<CapacityTransfer>;
  lookups(seconds: number, rps: number, seed: number, timeoutMs: number, onProgress: (p: { sent: number; finished: number; errors: number }) => void): Promise<LookupResult>;
  exportOnce(path: string): Promise<ExportTransfer>;
  stop(): Promise<void>;
}

/** A client of the server at `port` that looks up the first `profiles` seeded people. */
export async function startClient(port: number, profiles: number): Promise<Client> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port, apiKey: API_KEY, profiles, maxSockets: MAX_SOCKETS } });
  const pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  let onProgress: ((p: { sent: number; finished: number; errors: number }) => void) | null = null;
  let nextId = 1;
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message: { type: string; id?: number; result?: unknown; message?: string; sent?: number; finished?: number; errors?: number }) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'progress') onProgress?.({ sent: message.sent!, finished: message.finished!, errors: message.errors! });
      else if (message.type === 'done') pending.get(message.id!)?.resolve(message.result);
      else if (message.type === 'error') pending.get(message.id!)?.reject(new Error(message.message));
      if (message.id !== undefined) pending.delete(message.id);
    });
    worker.on('error', (error) => {
      reject(error);
      for (const p of pending.values()) p.reject(error);
    });
  });
  const call = <T>(message: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  return {
    lookups(seconds, rps, seed, timeoutMs, progressOf) {
      onProgress = progressOf;
      return call<LookupResult>({ type: 'lookups', seconds, rps, seed, timeoutMs }).finally(() => (onProgress = null));
    },
    exportOnce: (route) => call<ExportTransfer>({ type: 'export', path: route }),
    capacity: (seconds, concurrency, seed) => call<CapacityTransfer>({ type: 'capacity', seconds, concurrency, seed }),
    stop: async () => {
      await worker.terminate();
    },
  };
}
