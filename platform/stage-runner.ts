/**
 * Runs a pipeline stage on a transport. The stage turns a batch into one outcome per message;
 * the runner writes the outputs, sends dead letters (original key and value, with the reason,
 * step and time in headers) to the input topic's dead-letter topic, counts drops, and only then
 * lets the transport commit.
 *
 * A thrown error is judged (failures.ts): an engine down or overloaded retries the batch with
 * backoff, for as long as it takes; any other failure is taken to be a message the stage cannot
 * handle, and the batch is handled again in halves, in order, until the failing messages are
 * alone: each of those is a dead letter with the error as its reason, the others go on. The
 * stage's state (idle, running, retrying since when) is kept for /healthz and /metrics.
 */
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { withRetry } from './retry.ts';
import { describeFailure, isRetriable } from './failures.ts';
import { createStageHealth, type StageStatus } from './stage-health.ts';
import type { InboundMessage, OutboundMessage, Subscription, TopicMessages, Transport } from './transport.ts';
import { deadLetterTopic } from './dead-letter-topic.ts';

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
  /**
   * One outcome per message, in order. Throws for a failure of an engine (retried); a throw for
   * anything else makes the runner find the messages that cause it, handling the batch again in
   * parts, so work a failed call did must be undone by its transaction or be idempotent.
   */
  handleBatch(messages: InboundMessage[]): Promise<MessageOutcome[]>;
}

/** A running stage: stop it, or ask how it is doing. */
export interface StageSubscription extends Subscription {
  readonly name: string;
  status(): StageStatus;
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

const notFinal = (error: unknown) => (error as { retriable?: unknown } | null)?.retriable !== false;

/** The step named in the dead letter of a message the stage failed on alone. */
export const ISOLATED_STEP = 'handle-batch';

export async function runStage(stage: Stage, options: StageRunnerOptions): Promise<StageSubscription> {
  const { transport, metrics } = options;
  const logger = options.logger.child({ stage: stage.name });
  const health = createStageHealth(stage.name, metrics);
  let running = true;
  const retry = {
    initialMs: options.retryInitialMs,
    maxMs: options.retryMaxMs,
    logger,
    isRunning: () => running,
    isRetriable,
    onRetry: (error: unknown) => health.retrying(error),
  };

  /** The stage's outcomes for the messages; while an engine is down, retried until it answers. */
  async function attempt(messages: InboundMessage[]): Promise<MessageOutcome[]> {
    const outcomes = await withRetry(() => stage.handleBatch(messages), { ...retry, what: `${stage.name} batch` });
    health.recovered();
    if (outcomes.length !== messages.length) {
      throw new Error(`stage ${stage.name} returned ${outcomes.length} outcomes for ${messages.length} messages`);
    }
    return outcomes;
  }

  /**
   * The outcomes of a batch. A data failure is narrowed down by halves (each handled in order,
   * so a partition's order is kept): a message that fails alone is a dead letter.
   */
  async function outcomesOf(messages: InboundMessage[]): Promise<MessageOutcome[]> {
    try {
      return await attempt(messages);
    } catch (error) {
      if (!running || isRetriable(error)) throw error;
      if (messages.length === 1) {
        const message = messages[0]!;
        logger.error({ err: error, topic: message.topic, partition: message.partition, offset: message.offset }, 'a message failed alone; it goes to the dead-letter topic');
        return [{ type: 'dlq', step: ISOLATED_STEP, reason: `the stage failed on it: ${describeFailure(error)}`, error }];
      }
      logger.warn({ err: error, messages: messages.length }, 'a batch failed on its data; handling it in halves to find the messages that fail');
      const half = Math.ceil(messages.length / 2);
      return [...(await outcomesOf(messages.slice(0, half))), ...(await outcomesOf(messages.slice(half)))];
    }
  }

  async function handle(messages: InboundMessage[]): Promise<void> {
    const end = metrics.stageBatchSeconds.startTimer({ stage: stage.name });
    const outcomes = await outcomesOf(messages);
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
    // The transports flag their failures: retried unless one says it is final.
    await withRetry(() => transport.send(groupByTopic(outputs)), { ...retry, isRetriable: notFinal, what: `${stage.name} output` });
    health.recovered();
    health.progressed();
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
        health.batchStarted();
        await handle(group.flatMap((g) => g.messages));
        for (const g of group) g.resolve();
      } catch (error) {
        for (const g of group) g.reject(error);
      }
    }
    busy = false;
    if (running) health.idle();
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
    name: stage.name,
    status: () => health.status(),
    async stop() {
      // A batch stuck retrying gives up; it is not committed and is handled again on restart.
      running = false;
      await subscription.stop();
      health.stopped();
      logger.info('stage stopped');
    },
  };
}
