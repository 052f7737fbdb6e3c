/**
 * Runs a pipeline stage on a transport. The stage turns a batch into one outcome per message;
 * the runner writes the outputs, sends dead letters (original key and value, with the reason,
 * step and time in headers) to the input topic's dead-letter topic, counts drops, and only then
 * lets the transport commit. A thrown error is retriable: the batch is retried with backoff.
 */
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { withRetry } from './retry.ts';
import type { InboundMessage, OutboundMessage, Subscription, TopicMessages, Transport } from './transport.ts';
import { deadLetterTopic } from '../schemas/topics.ts';

export interface Output extends OutboundMessage {
  topic: string;
}

export type MessageOutcome =
  | { type: 'ok'; outputs: Output[] }
  | { type: 'dlq'; step: string; reason: string; error?: unknown }
  | { type: 'drop'; step: string; reason: string };

export interface Stage {
  name: string;
  groupId: string;
  topics: string[];
  /** One outcome per message, in order. Throws only for retriable failures. */
  handleBatch(messages: InboundMessage[]): Promise<MessageOutcome[]>;
}

export interface StageRunnerOptions {
  transport: Transport;
  logger: Logger;
  metrics: Metrics;
  batchSize: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export function deadLetter(message: InboundMessage, stage: string, step: string, reason: string): Output {
  return {
    topic: deadLetterTopic(message.topic),
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      'dlq-reason': reason,
      'dlq-step': `${stage}.${step}`,
      'dlq-timestamp': new Date().toISOString(),
      'dlq-original-topic': message.topic,
      'dlq-original-partition': String(message.partition),
      'dlq-original-offset': message.offset,
    },
  };
}

function groupByTopic(outputs: Output[]): TopicMessages[] {
  const byTopic = new Map<string, OutboundMessage[]>();
  for (const { topic, ...message } of outputs) {
    const list = byTopic.get(topic) ?? [];
    list.push(message);
    byTopic.set(topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

export async function runStage(stage: Stage, options: StageRunnerOptions): Promise<Subscription> {
  const { transport, metrics } = options;
  const logger = options.logger.child({ stage: stage.name });
  let running = true;
  const retry = { initialMs: options.retryInitialMs, maxMs: options.retryMaxMs, logger, isRunning: () => running };

  async function handle(messages: InboundMessage[]): Promise<void> {
    const end = metrics.stageBatchSeconds.startTimer({ stage: stage.name });
    const outcomes = await withRetry(() => stage.handleBatch(messages), { ...retry, what: `${stage.name} batch` });
    if (outcomes.length !== messages.length) {
      throw new Error(`stage ${stage.name} returned ${outcomes.length} outcomes for ${messages.length} messages`);
    }
    const outputs: Output[] = [];
    outcomes.forEach((outcome, i) => {
      const message = messages[i]!;
      metrics.stageMessages.inc({ stage: stage.name, outcome: outcome.type });
      if (outcome.type === 'ok') {
        outputs.push(...outcome.outputs);
      } else if (outcome.type === 'dlq') {
        metrics.deadLetters.inc({ stage: stage.name, step: outcome.step });
        logger.warn(
          { step: outcome.step, reason: outcome.reason, topic: message.topic, partition: message.partition, offset: message.offset },
          'message sent to the dead-letter topic',
        );
        outputs.push(deadLetter(message, stage.name, outcome.step, outcome.reason));
      } else {
        logger.debug({ step: outcome.step, reason: outcome.reason, offset: message.offset }, 'message dropped');
      }
    });
    await withRetry(() => transport.send(groupByTopic(outputs)), { ...retry, what: `${stage.name} output` });
    end();
  }

  // Batches of several partitions handed over at the same time (Kafka fetches them together)
  // are handled as one: while a batch is in the stage, the next ones gather, up to batchSize.
  // Each partition's next batch only comes after its previous one resolved, so the order
  // within a partition is kept.
  const waiting: { messages: InboundMessage[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let busy = false;
  const drain = async () => {
    while (waiting.length > 0) {
      const group: typeof waiting = [];
      let size = 0;
      while (waiting.length > 0 && (group.length === 0 || size + waiting[0]!.messages.length <= options.batchSize)) {
        const next = waiting.shift()!;
        size += next.messages.length;
        group.push(next);
      }
      try {
        await handle(group.flatMap((g) => g.messages));
        for (const g of group) g.resolve();
      } catch (error) {
        for (const g of group) g.reject(error);
      }
    }
    busy = false;
  };

  const subscription = await transport.subscribe({
    groupId: stage.groupId,
    topics: stage.topics,
    maxBatchSize: options.batchSize,
    onBatch: (messages) =>
      new Promise<void>((resolve, reject) => {
        waiting.push({ messages, resolve, reject });
        if (!busy) {
          busy = true;
          setImmediate(() => void drain());
        }
      }),
  });
  logger.info({ topics: stage.topics, group: stage.groupId }, 'stage started');
  return {
    async stop() {
      // A batch stuck retrying gives up; it is not committed and is handled again on restart.
      running = false;
      await subscription.stop();
      logger.info('stage stopped');
    },
  };
}
