/** The main thread's side of the HTTP load generator: starts the client worker thread and runs measures in it. */
import { Worker } from 'node:worker_threads';
import type { DemoEvent } from '../../ingest/demo-data.ts';
import { threadsOf } from '../util.ts';
import { windowSnapshots } from './cpu-sampling.ts';
import { CLIENT_SOURCE } from './http-client-source.ts';
import { finish, type ClientResult, type Live, type Measured, type Probe, type Window } from './measures.ts';

/** Stands for the request's own prefix in the event IDs of a request body. */
const PLACEHOLDER = '@@request@@';

export class HttpClients {
  private inWindow = 0;
  private pending: { resolve: (r: ClientResult) => void; reject: (e: Error) => void } | null = null;

  private constructor(
    private readonly worker: Worker,
    /** Thread IDs of the worker (Linux), for its CPU time. */
    readonly threads: number[],
  ) {
    worker.on('message', (message: { type: string; inWindow?: number; result?: ClientResult; message?: string }) => {
      if (message.type === 'progress') this.inWindow = message.inWindow!;
      else if (message.type === 'done') this.settle((p) => p.resolve(message.result!));
      else if (message.type === 'error') this.settle((p) => p.reject(new Error(message.message)));
    });
    worker.on('error', (error) => this.settle((p) => p.reject(error)));
  }

  private settle(f: (p: NonNullable<HttpClients['pending']>) => void): void {
    const pending = this.pending;
    this.pending = null;
    if (pending) f(pending);
  }

  /** Starts the worker with the request bodies: JSON of each batch, event IDs left to fill in. */
  static async start(options: { url: string; apiKey: string; batches: DemoEvent[][]; batch: number }): Promise<HttpClients> {
    const templates = options.batches.map((events) => JSON.stringify(events.map((e, i) => ({ ...e, event_id: `${PLACEHOLDER}-${i}` }))));
    const before = new Set(threadsOf(process.pid));
    const worker = new Worker(CLIENT_SOURCE, {
      eval: true,
      workerData: { url: options.url, apiKey: options.apiKey, templates, placeholder: PLACEHOLDER, batch: options.batch },
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: { type: string }) => (m.type === 'ready' ? resolve() : reject(new Error(`HTTP client thread: ${JSON.stringify(m)}`))));
      worker.once('error', reject);
    });
    return new HttpClients(
      worker,
      threadsOf(process.pid).filter((tid) => !before.has(tid)),
    );
  }

  async measure(tag: string, window: Window, concurrency: number, probe: Probe, live: (l: Live) => void): Promise<Measured> {
    this.inWindow = 0;
    const snapshots = windowSnapshots(window, probe);
    live({ what: 'HTTP', window, inWindow: () => this.inWindow });
    const result = await new Promise<ClientResult>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ type: 'measure', tag, ...window, clients: concurrency });
    });
    return finish(result, window, snapshots.usage(result.clientThreadElu));
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
