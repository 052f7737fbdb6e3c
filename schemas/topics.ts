/** Topic names. The schema each topic carries is in codec.ts (topicSchemas). */
import { deadLetterTopic } from '../platform/dead-letter-topic.ts';
import { SOURCES, type Source } from './types.ts';

export interface Topics {
  /** The prefix of every name, which the consumer groups share too. */
  prefix: string;
  raw: Record<Source, string>;
  resolved: string;
  profileChanges: string;
  /** Segment membership changes, for marketing tools. */
  segmentChanges: string;
}

export function topicNames(prefix: string): Topics {
  const raw = Object.fromEntries(SOURCES.map((s) => [s, `${prefix}.raw.${s}`])) as Record<Source, string>;
  return { prefix, raw, resolved: `${prefix}.events.resolved`, profileChanges: `${prefix}.profiles.changes`, segmentChanges: `${prefix}.segments.changes` };
}

/**
 * The consumer group of a stage: named after the topics' prefix, so two deployments (or two
 * test runs) on one cluster never join each other's group. `c360-resolver` with the default prefix.
 */
export function consumerGroup(topics: Topics, stage: 'resolver' | 'enrich'): string {
  return `${topics.prefix}-${stage}`;
}

export { deadLetterTopic };

export function allTopics(topics: Topics): string[] {
  const main = [...Object.values(topics.raw), topics.resolved, topics.profileChanges, topics.segmentChanges];
  return [...main, ...main.map(deadLetterTopic)];
}
