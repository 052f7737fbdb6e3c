/**
 * Cuts what one produce request would carry into requests under a byte budget. Kafka refuses a
 * record batch larger than `message.max.bytes` (about 1 MiB by default) as a whole, and KafkaJS
 * puts all of a request's messages for one partition in one batch: coalesced sends of many
 * events of one tenant (one partition) outgrow it under load. Order is kept within each topic.
 */
import type { OutboundMessage, TopicMessages } from './transport.ts';

/** A record's size in a batch: its key, value and headers and about 70 bytes of framing. */
export function recordBytes(message: OutboundMessage): number {
  let bytes = 70 + message.value.length + (message.key === null ? 0 : Buffer.byteLength(message.key));
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 4;
  return bytes;
}

/**
 * Requests of at most `budget` bytes each (a record larger than the budget goes alone, for the
 * broker to judge), in order.
 */
export function chunkByBytes(batches: TopicMessages[], budget: number): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let current = new Map<string, OutboundMessage[]>();
  let size = 0;
  const close = () => {
    if (current.size) chunks.push([...current].map(([topic, messages]) => ({ topic, messages })));
    current = new Map();
    size = 0;
  };
  for (const batch of batches) {
    for (const message of batch.messages) {
      const bytes = recordBytes(message);
      if (size > 0 && size + bytes > budget) close();
      const list = current.get(batch.topic) ?? [];
      list.push(message);
      current.set(batch.topic, list);
      size += bytes;
    }
  }
  close();
  return chunks;
}
