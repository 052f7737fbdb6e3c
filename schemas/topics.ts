/** Topic names. The schema each topic carries is in codec.ts (topicSchemas). */
import { SOURCES, type Source } from './types.ts';

export interface Topics {
  raw: Record<Source, string>;
  resolved: string;
  profileChanges: string;
  /** Segment membership changes, for marketing tools. */
  segmentChanges: string;
}

export function topicNames(prefix: string): Topics {
  const raw = Object.fromEntries(SOURCES.map((s) => [s, `${prefix}.raw.${s}`])) as Record<Source, string>;
  return { raw, resolved: `${prefix}.events.resolved`, profileChanges: `${prefix}.profiles.changes`, segmentChanges: `${prefix}.segments.changes` };
}

/** Dead letters of a topic go to its own dead-letter topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export function allTopics(topics: Topics): string[] {
  const main = [...Object.values(topics.raw), topics.resolved, topics.profileChanges, topics.segmentChanges];
  return [...main, ...main.map(deadLetterTopic)];
}
