/** Topic names, and which schema each topic carries. */
import { SOURCES, type Source } from './types.ts';

export interface Topics {
  raw: Record<Source, string>;
  resolved: string;
  profileChanges: string;
}

export function topicNames(prefix: string): Topics {
  const raw = Object.fromEntries(SOURCES.map((s) => [s, `${prefix}.raw.${s}`])) as Record<Source, string>;
  return { raw, resolved: `${prefix}.events.resolved`, profileChanges: `${prefix}.profiles.changes` };
}

/** Every topic and the .avsc file of its values. */
export function topicSchemas(topics: Topics): { topic: string; schemaFile: string }[] {
  return [
    ...Object.values(topics.raw).map((topic) => ({ topic, schemaFile: 'raw-event.avsc' })),
    { topic: topics.resolved, schemaFile: 'resolved-event.avsc' },
    { topic: topics.profileChanges, schemaFile: 'profile-change.avsc' },
  ];
}

/** Dead letters of a topic go to its own dead-letter topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export function allTopics(topics: Topics): string[] {
  const main = topicSchemas(topics).map((t) => t.topic);
  return [...main, ...main.map(deadLetterTopic)];
}
