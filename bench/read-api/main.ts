/**
 * The read API bench's entry point, wiring its parts (bench/read-api.ts runs it).
 *
 * `npm run bench:read-api`: the read API on the embedded stack (embedded Postgres, chDB, the
 * embedded log), the product's own runtime (startRuntime with loadConfig) in this process, in
 * three parts:
 *
 * 1. Checkout lookup: `--profiles` people seeded straight into the identity graph (profiles and
 *    identifiers with an email and a phone each, like bench/resolver.ts), their aggregates in
 *    ClickHouse (part 2's seed) and their serving copy in Postgres, written through the summary
 *    store from the warehouse's rows as enrich writes it; then `GET /v1/profiles?email=` and `?phone=` for random seeded
 *    people at a fixed open-loop rate of `--rps` requests per second for `--seconds`, after
 *    `--warmup` seconds, `--runs` times. Each request's latency runs from the time it was
 *    scheduled to the end of its answer, so a stall counts for every request it delays (no
 *    coordinated omission). The client has 64 keep-alive connections; a request that has not
 *    got one `--timeout-ms` after its scheduled time is dropped unsent (infinite latency), so an
 *    overloaded server never holds more than 64 requests and a run ends soon after its time.
 *    Then closed loops of one client (a lookup on an idle server) and of `--concurrency` clients
 *    (the most the server answers), `--capacity-seconds` each. The client is a worker thread
 *    with a keep-alive node:http agent.
 * 2. Segment export: a `--members` segment seeded straight into ClickHouse (profiles,
 *    profile_aggregates with email consent granted for the even half, segments,
 *    segment_membership, INSERT ... SELECT FROM numbers(N)); then
 *    `GET /v1/segments/{id}/members?format=ndjson|csv[&channel=email]` read as a stream and
 *    counted, `--export-runs` times: rows per second, time to the first byte, peak RSS of this
 *    process during the export (the kernel's high-water mark, reset before each export), the
 *    longest stall of the server's event loop.
 * 3. Order to effect: an order_completed for an existing profile (its first order already in
 *    the warehouse, below the segment's threshold) posted through `POST /v1/events`, then the
 *    profile polled until total_revenue and ltv show it and the segment (total_revenue >= 100)
 *    until its member count grows; `--trials` times, once before the warehouse is seeded
 *    (the tenant nearly empty in ClickHouse) and once after (`--members` profiles).
 *
 * Prints a markdown table per part (medians) and, last, one JSON line; progress goes to stderr.
 * Timing is reported, never asserted. Beside each figure: the CPU this process, Postgres and
 * other processes used meanwhile (the machine may be shared). Ctrl-C stops the runtime and
 * removes the data folder. With the defaults a run takes about 4-5 minutes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../platform/config.ts';
import { createLogger } from '../../platform/logger.ts';
import { startRuntime } from '../../app/runtime.ts';
import { MemorySampler, Progress, freePort, num } from '../util.ts';
import { createApi } from './api.ts';
import { startClient } from './client.ts';
import { API_KEY, TENANT } from './constants.ts';
import { cpuMark, cpuShare } from './cpu.ts';
import { createEffectMeasure, type EffectResult } from './effect.ts';
import { checkoutLookup } from './lookup.ts';
import { parseOptions, type Options } from './options.ts';
import { report } from './report.ts';
import { seedGraph, seedSummaries, seedWarehouse, settleEngines } from './seed.ts';
import { segmentExport } from './segment-export.ts';
import { createShutdown, type Shutdown } from './shutdown.ts';

/** One whole run: start the runtime, seed, measure the three parts, clean up, print the report. */
async function main(options: Options, progress: Progress, shutdown: Shutdown): Promise<void> {
  const startedAt = Date.now();
  const startCpu = cpuMark();
  const nonce = randomBytes(3).toString('hex');
  const logger = createLogger('warn', process.stderr);
  const memory = new MemorySampler();
  memory.start();
  const onSignal = () => shutdown.interrupt('interrupted', 130);
  const onUncaught = (error: unknown) => {
    if (shutdown.finished) return;
    const code = (error as { code?: string } | null)?.code;
    // 57P01: Postgres ended the connection, as it does when Ctrl-C reaches it.
    if (shutdown.interrupted || code === '57P01') {
      process.stderr.write(`bench: ${(error as Error)?.message ?? String(error)}\n`);
      shutdown.interrupt('Postgres stopped (Ctrl-C reaches it too)', 130);
      return;
    }
    process.stderr.write(`bench:read-api failed: ${(error as Error)?.stack ?? String(error)}\n`);
    shutdown.interrupt('failed', 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-bench-read-api-'));
  // Retried: Postgres may still be writing its last files when Ctrl-C stopped it on its own.
  shutdown.push(async () => fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 }));
  try {
    progress.note(`starting the embedded runtime in ${dataDir}`);
    const config = loadConfig(
      {},
      {
        dataDir,
        port: 0,
        host: '127.0.0.1',
        logLevel: 'warn',
        apiKeys: `${API_KEY}:${TENANT}`,
        embeddedPostgresPort: await freePort(),
      },
    );
    // Registered before it is up: Ctrl-C during start-up waits for the engines, then stops them.
    const starting = startRuntime(config, logger);
    shutdown.push(async () => {
      const started = await starting.catch(() => null);
      if (!started) return;
      await started.stop();
      // chDB binds one data folder per process: let the closed one go before the folder goes.
      const { drainPending } = await import('chdb');
      await drainPending();
    });
    const runtime = await starting;
    const api = createApi(runtime.url!);
    shutdown.push(async () => api.destroy());
    const client = await startClient(Number(new URL(runtime.url!).port), options.profiles);
    shutdown.push(() => client.stop());

    progress.note(`seeding the identity graph with ${num(options.profiles)} profiles`);
    const graphSeconds = await seedGraph(runtime, options.profiles, progress);
    progress.note(`graph seeded in ${num(graphSeconds, 1)} s`);

    // Part 3 first on a warehouse that holds almost nothing of the tenant, again at the end.
    const effect = createEffectMeasure({ runtime, api, options, progress, nonce });
    const effects: EffectResult[] = [];
    effects.push(await effect.measure('small warehouse', 0));

    progress.note(`seeding the warehouse with ${num(options.members)} profiles, aggregates and segment members`);
    const warehouseSeconds = await seedWarehouse(runtime, options.members, progress);
    progress.note(`warehouse seeded in ${num(warehouseSeconds, 1)} s`);
    const summarySeconds = await seedSummaries(runtime, Math.min(options.profiles, options.members), progress);
    progress.note(`serving copy of ${num(Math.min(options.profiles, options.members))} profiles' aggregates written in ${num(summarySeconds, 1)} s`);

    await settleEngines(runtime, progress);
    // Memory sampling reads /proc of every Postgres process on this thread, tens of ms a second:
    // paused while lookups are timed, with a sample on either side.
    memory.sample();
    memory.stop();
    const lookup = await checkoutLookup(client, options, progress);
    memory.start();
    const exports = await segmentExport(client, options, progress);
    effects.push(await effect.measure('large warehouse', options.members));

    memory.sample();
    const cpu = cpuShare(startCpu);
    progress.stop();
    await shutdown.cleanupAll();
    shutdown.finished = true;
    memory.stop();
    report(options, { graphSeconds, warehouseSeconds }, lookup, exports, effects, memory, (Date.now() - startedAt) / 1000, cpu);
  } finally {
    progress.stop();
    await shutdown.cleanupAll();
    memory.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Parses the command line (throwing on a bad option), runs the bench and exits the process. */
export function run(): void {
  const options = parseOptions();
  const progress = new Progress();
  const shutdown = createShutdown(progress);
  main(options, progress, shutdown).then(
    () => process.exit(0),
    (error: Error) => {
      // Interrupted: the interrupt exits once the cleanup is done.
      if (shutdown.interrupted) return;
      process.stderr.write(`bench:read-api failed: ${error.stack ?? error.message}\n`);
      void shutdown.cleanupAll().finally(() => process.exit(1));
    },
  );
}

// Run directly (`tsx bench/read-api/main.ts`) as well as through bench/read-api.ts.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) run();
