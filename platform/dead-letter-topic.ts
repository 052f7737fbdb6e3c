/** Dead letters of a topic go to its own dead-letter topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
