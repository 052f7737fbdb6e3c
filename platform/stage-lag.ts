/**
 * Consumer lag as a metric: every few seconds, for each stage of this process, the messages of
 * each partition of its topics that its group has not committed yet (c360_consumer_lag_messages).
 * A failed read (the broker or the log restarting) keeps the last figures and is logged once.
 */
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Subscription, Transport } from './transport.ts';

export interface LagSource {
  groupId: string;
  topics: string[];
}

export function watchConsumerLag(options: { transport: Transport; metrics: Metrics; logger: Logger; stages: LagSource[]; everyMs?: number }): Subscription & { refresh(): Promise<void> } {
  const { transport, metrics, logger, stages } = options;
  let failing = false;
  async function refresh(): Promise<void> {
    try {
      for (const stage of stages) {
        for (const p of await transport.lag(stage.groupId, stage.topics)) {
          metrics.consumerLag.set({ group: stage.groupId, topic: p.topic, partition: String(p.partition) }, p.lag);
        }
      }
      failing = false;
    } catch (error) {
      if (!failing) logger.warn({ err: error }, 'could not read the consumer lag; keeping the last figures');
      failing = true;
    }
  }
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= refresh().finally(() => (running = null));
  }, options.everyMs ?? 5000);
  timer.unref();
  void refresh();
  return {
    refresh,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
