/**
 * The embedded transport: topics are partitioned append-only logs in Postgres. An append
 * commits before send() resolves, so an acknowledged event survives a kill -9. Each partition's
 * offsets are handed out under a row lock of that partition, so offsets become visible in order
 * and a reader never skips one. Consumer positions are committed after each handled batch.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from './logger.ts';
import { sleep } from './retry.ts';
import {
  TransportUnavailableError,
  type InboundMessage,
  type OutboundMessage,
  type PartitionLag,
  type SubscribeOptions,
  type Subscription,
  type TopicMessages,
  type Transport,
} from './transport.ts';

export interface LogTransportOptions {
  pool: pg.Pool;
  partitions: number;
  logger: Logger;
  /** Poll interval when idle and no append in this process woke the consumer. */
  idlePollMs?: number;
  retryMaxMs?: number;
  /** Messages older than this that every consumer group of their topic has committed are deleted. */
  retentionHours?: number;
}

export function partitionOf(key: string | null, partitions: number, counter: number): number {
  if (key === null) return counter % partitions;
  return createHash('md5').update(key).digest().readUInt32BE(0) % partitions;
}

/** Hands out n offsets of a partition; the row lock it takes serializes appends to it. */
const RESERVE_OFFSETS = `UPDATE transport_partitions SET next_offset = next_offset + $3
  WHERE topic = $1 AND partition = $2 RETURNING next_offset - $3 AS first`;

interface LogRow {
  partition: number;
  position: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export function createLogTransport(options: LogTransportOptions): Transport & { trim(): Promise<number> } {
  const { pool, partitions, logger } = options;
  const appended = new EventEmitter();
  appended.setMaxListeners(0);
  let roundRobin = 0;
  const subscriptions = new Set<Subscription>();

  async function ensureTopics(topics: string[]): Promise<void> {
    await pool.query(
      `INSERT INTO transport_partitions (topic, partition)
       SELECT t, p FROM unnest($1::text[]) AS t, generate_series(0, $2 - 1) AS p
       ON CONFLICT DO NOTHING`,
      [topics, partitions],
    );
  }

  async function send(batches: TopicMessages[]): Promise<void> {
    const groups = new Map<string, { topic: string; partition: number; messages: OutboundMessage[] }>();
    for (const batch of batches) {
      for (const message of batch.messages) {
        const partition = partitionOf(message.key, partitions, roundRobin++);
        const id = `${batch.topic}\u0000${partition}`;
        let group = groups.get(id);
        if (!group) groups.set(id, (group = { topic: batch.topic, partition, messages: [] }));
        group.messages.push(message);
      }
    }
    if (groups.size === 0) return;
    // Lock partitions in one order so concurrent appends never deadlock.
    const ordered = [...groups.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw new TransportUnavailableError(`embedded log unavailable: ${(error as Error).message}`, error);
    }
    try {
      await client.query('BEGIN');
      for (const group of ordered) {
        const n = group.messages.length;
        const reserve = () => client.query<{ first: string }>(RESERVE_OFFSETS, [group.topic, group.partition, n]);
        let reserved = await reserve();
        if (reserved.rowCount === 0) {
          await client.query(
            'INSERT INTO transport_partitions (topic, partition) VALUES ($1, $2) ON CONFLICT DO NOTHING',
            [group.topic, group.partition],
          );
          reserved = await reserve();
        }
        const first = BigInt(reserved.rows[0]!.first);
        await client.query(
          `INSERT INTO transport_log (topic, partition, "offset", key, value, headers)
           SELECT $1, $2, o, k, v, h FROM unnest($3::bigint[], $4::text[], $5::bytea[], $6::jsonb[]) AS x(o, k, v, h)`,
          [
            group.topic,
            group.partition,
            group.messages.map((_, i) => (first + BigInt(i)).toString()),
            group.messages.map((m) => m.key),
            group.messages.map((m) => m.value),
            group.messages.map((m) => JSON.stringify(m.headers ?? {})),
          ],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new TransportUnavailableError(`embedded log append failed: ${(error as Error).message}`, error);
    } finally {
      client.release();
    }
    for (const group of ordered) appended.emit(group.topic);
  }

  async function subscribe(subscribe: SubscribeOptions): Promise<Subscription> {
    await ensureTopics(subscribe.topics);
    const log = logger.child({ component: 'log-consumer', group: subscribe.groupId });
    let running = true;
    let wake: (() => void) | null = null;
    const onAppend = () => wake?.();
    for (const topic of subscribe.topics) appended.on(topic, onAppend);

    async function positions(): Promise<Map<string, bigint>> {
      const rows = await pool.query<{ topic: string; partition: number; offset: string }>(
        'SELECT topic, partition, "offset" FROM transport_positions WHERE group_id = $1 AND topic = ANY($2)',
        [subscribe.groupId, subscribe.topics],
      );
      return new Map(rows.rows.map((r) => [`${r.topic}\u0000${r.partition}`, BigInt(r.offset)]));
    }

    const ids: { topic: string; partition: number; id: string }[] = [];
    for (const topic of subscribe.topics) for (let partition = 0; partition < partitions; partition++) ids.push({ topic, partition, id: `${topic}\u0000${partition}` });

    /**
     * One read of every partition from its committed offset (a batch of each, in one round
     * trip); the batches are handed over together, so a stage handles the partitions that have
     * messages as one batch, and each partition's next batch comes only after its previous one
     * was handled and committed.
     */
    async function pollOnce(committed: Map<string, bigint>): Promise<boolean> {
      const rows = await pool.query<LogRow & { topic: string }>(
        `SELECT x.topic, x.partition, l."offset"::text AS position, l.key, l.value, l.headers
         FROM unnest($1::text[], $2::int[], $3::bigint[]) AS x(topic, partition, from_offset)
         CROSS JOIN LATERAL (
           SELECT "offset", key, value, headers FROM transport_log
           WHERE topic = x.topic AND partition = x.partition AND "offset" >= x.from_offset
           ORDER BY "offset" LIMIT $4) AS l
         ORDER BY x.topic, x.partition, l."offset"`,
        [ids.map((p) => p.topic), ids.map((p) => p.partition), ids.map((p) => (committed.get(p.id) ?? 0n).toString()), subscribe.maxBatchSize],
      );
      if (rows.rowCount === 0 || !running) return false;
      const batches = new Map<string, InboundMessage[]>();
      for (const r of rows.rows) {
        const id = `${r.topic}\u0000${r.partition}`;
        let batch = batches.get(id);
        if (!batch) batches.set(id, (batch = []));
        batch.push({ topic: r.topic, partition: r.partition, offset: r.position, key: r.key, value: r.value, headers: r.headers });
      }
      // Every batch settles before anything is committed or read again: a partition never has
      // two batches in a stage. What a failed batch did is read again; the others are committed.
      const settled = await Promise.allSettled([...batches.values()].map((messages) => subscribe.onBatch(messages)));
      const handled = [...batches.values()].filter((_, i) => settled[i]!.status === 'fulfilled');
      const next = handled.map((messages) => BigInt(messages[messages.length - 1]!.offset) + 1n);
      if (handled.length) {
        await pool.query(
          `INSERT INTO transport_positions (group_id, topic, partition, "offset")
           SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS x(t, p, o)
           ON CONFLICT (group_id, topic, partition) DO UPDATE SET "offset" = EXCLUDED."offset", updated_at = now()`,
          [subscribe.groupId, handled.map((m) => m[0]!.topic), handled.map((m) => m[0]!.partition), next.map(String)],
        );
        handled.forEach((messages, i) => committed.set(`${messages[0]!.topic}\u0000${messages[0]!.partition}`, next[i]!));
      }
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return true;
    }

    const loop = (async () => {
      let committed: Map<string, bigint> | null = null;
      let backoff = 100;
      while (running) {
        try {
          committed ??= await positions();
          const handled = await pollOnce(committed);
          backoff = 100;
          if (!handled && running) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, options.idlePollMs ?? 250);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = null;
          }
        } catch (error) {
          // The log is unavailable (Postgres restarting): keep the committed positions, retry.
          log.warn({ err: error, backoffMs: backoff }, 'embedded log read failed, retrying');
          committed = null;
          await sleep(backoff);
          backoff = Math.min(backoff * 2, options.retryMaxMs ?? 10_000);
        }
      }
    })();

    const subscription: Subscription = {
      async stop() {
        running = false;
        wake?.();
        await loop;
        for (const topic of subscribe.topics) appended.off(topic, onAppend);
        subscriptions.delete(subscription);
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Retention: deletes what every consumer group of a topic has committed and is older than
   * the retention. Topics nobody consumes (dead letters) are kept whole.
   */
  async function trim(): Promise<number> {
    const deleted = await pool.query(
      `DELETE FROM transport_log l
       USING (SELECT topic, partition, min("offset") AS committed FROM transport_positions GROUP BY topic, partition) p
       WHERE l.topic = p.topic AND l.partition = p.partition AND l."offset" < p.committed
         AND l.appended_at < now() - make_interval(hours => $1)`,
      [options.retentionHours ?? 168],
    );
    return deleted.rowCount ?? 0;
  }
  const trimmer = setInterval(() => {
    trim()
      .then((n) => n > 0 && logger.debug({ deleted: n }, 'embedded log trimmed'))
      .catch((error) => logger.warn({ err: error }, 'embedded log trim failed'));
  }, 10 * 60_000);
  trimmer.unref();

  /** The log's next offset of each partition minus the group's committed one. */
  async function lag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const rows = await pool.query<{ topic: string; partition: number; lag: string }>(
      `SELECT p.topic, p.partition, greatest(p.next_offset - coalesce(c."offset", 0), 0)::text AS lag
       FROM transport_partitions p
       LEFT JOIN transport_positions c ON c.group_id = $1 AND c.topic = p.topic AND c.partition = p.partition
       WHERE p.topic = ANY($2) ORDER BY p.topic, p.partition`,
      [groupId, topics],
    );
    return rows.rows.map((r) => ({ topic: r.topic, partition: r.partition, lag: Number(r.lag) }));
  }

  return {
    kind: 'embedded',
    ensureTopics,
    send,
    subscribe,
    lag,
    trim,
    async close() {
      clearInterval(trimmer);
      await Promise.all([...subscriptions].map((s) => s.stop()));
    },
  } as Transport & { trim: () => Promise<number> };
}

/**
 * Erasure in the embedded log (a data-subject request): deletes every message whose value
 * holds one of `needles` (the person's event and profile IDs), inside the caller's transaction.
 * Returns the messages deleted; 0 where there is no embedded log (the Kafka mode).
 */
export async function eraseLogMessagesNaming(client: pg.PoolClient, needles: string[]): Promise<number> {
  await client.query('SAVEPOINT erase_log');
  try {
    const result = await client.query('DELETE FROM transport_log WHERE EXISTS (SELECT 1 FROM unnest($1::bytea[]) AS n WHERE position(n IN value) > 0)', [needles.map((n) => Buffer.from(n))]);
    await client.query('RELEASE SAVEPOINT erase_log');
    return result.rowCount ?? 0;
  } catch (error) {
    if ((error as { code?: string }).code !== '42P01') throw error;
    await client.query('ROLLBACK TO SAVEPOINT erase_log');
    return 0;
  }
}
