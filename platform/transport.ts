/**
 * The transport between stages: Kafka in the distributed mode, a log in Postgres in the
 * embedded mode. The stages are the same code on both.
 */
export type Headers = Record<string, string>;

export interface OutboundMessage {
  key: string | null;
  value: Buffer;
  headers?: Headers;
}

export interface InboundMessage extends OutboundMessage {
  topic: string;
  partition: number;
  offset: string;
  headers: Headers;
}

export interface TopicMessages {
  topic: string;
  messages: OutboundMessage[];
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /**
   * Handles one batch of one partition. When it resolves the batch's positions are committed;
   * it should not throw (a stage turns bad input into dead letters and retries retriable errors).
   */
  onBatch: (messages: InboundMessage[]) => Promise<void>;
  maxBatchSize: number;
}

export interface Subscription {
  /** Stops fetching, waits for the batch in flight and commits its positions. */
  stop(): Promise<void>;
}

export interface Transport {
  readonly kind: 'kafka' | 'embedded';
  /** Creates the topics when the transport needs it. */
  ensureTopics(topics: string[]): Promise<void>;
  /** Resolves once every message is durable (acknowledged by Kafka, committed in the log). */
  send(batches: TopicMessages[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Messages of each partition of the topics that the group has not committed yet. */
  lag(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export class TransportUnavailableError extends Error {
  readonly retriable = true;
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'TransportUnavailableError';
  }
}

/**
 * The log refused a message as larger than it takes (Kafka's `message.max.bytes` or a topic's
 * `max.message.bytes`). Not retriable: the same message is refused again.
 */
export class MessageTooLargeError extends Error {
  readonly retriable = false;
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'MessageTooLargeError';
  }
}
