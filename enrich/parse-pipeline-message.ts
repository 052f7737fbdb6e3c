import type { Codec } from '../schemas/codec.ts';
import type { Topics } from '../schemas/topics.ts';
import type { ProfileChange, ResolvedEvent } from '../schemas/types.ts';
import { isRetriable } from '../platform/failures.ts';
import { dlq, ok, type StepResult } from '../platform/result.ts';
import type { InboundMessage } from '../platform/transport.ts';

export type PipelineMessage = { kind: 'event'; event: ResolvedEvent } | { kind: 'change'; change: ProfileChange };

/** Decodes a resolved event or a profile change; an undecodable one is a dead letter. */
export function createParsePipelineMessageStep(codec: Codec, topics: Topics) {
  return async function parsePipelineMessageStep(message: InboundMessage): Promise<StepResult<PipelineMessage>> {
    try {
      if (message.topic === topics.resolved) {
        const event = await codec.decode<ResolvedEvent>(message.topic, message.value);
        if (!event?.tenant_id || !event.customer360_id) return dlq('parse-pipeline-message', 'resolved event without tenant or profile');
        return ok({ kind: 'event', event });
      }
      if (message.topic === topics.profileChanges) {
        const change = await codec.decode<ProfileChange>(message.topic, message.value);
        if (!change?.tenant_id || !change.customer360_id) return dlq('parse-pipeline-message', 'profile change without tenant or profile');
        return ok({ kind: 'change', change });
      }
      return dlq('parse-pipeline-message', `unexpected topic ${message.topic}`);
    } catch (error) {
      // The schema store down is retried; only the message's own fault makes a dead letter.
      if (isRetriable(error)) throw error;
      return dlq('parse-pipeline-message', `undecodable: ${(error as Error).message}`, error);
    }
  };
}
