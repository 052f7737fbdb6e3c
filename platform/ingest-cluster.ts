/**
 * Several ingest processes on one port (C360_INGEST_PROCESSES), for the distributed mode's
 * ingest service: a single Node.js thread validates, encodes and produces about 15,000 events/s,
 * so a machine with more cores runs one process per core. The primary process only hands
 * connections to the workers (Node's cluster module), replaces a worker that dies, and stops
 * them all on SIGTERM or SIGINT; each worker is a whole ingest service with its own producer.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

export const isIngestWorker = () => cluster.isWorker;

/** Tells the primary that this worker serves at the URL. */
export function reportReady(url: string | null): void {
  process.send?.({ type: 'c360-ready', url });
}

/** Runs the primary: forks the workers and resolves with the URL once they all serve. */
export function runIngestPrimary(config: Config, logger: Logger): Promise<string> {
  let stopping = false;
  const ready = new Set<number>();
  let resolveUrl: (url: string) => void;
  const urlReady = new Promise<string>((resolve) => (resolveUrl = resolve));

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message: { type?: string; url?: string }) => {
      if (message?.type !== 'c360-ready') return;
      ready.add(worker.id);
      if (ready.size >= config.ingestProcesses && message.url) resolveUrl(message.url);
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'an ingest process exited; starting another');
    setTimeout(fork, 1000).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the ingest processes');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let i = 0; i < config.ingestProcesses; i++) fork();
  return urlReady;
}
