/**
 * Acting on identity: approve or reject a suggested match of the review queue, or merge two
 * profiles a person knows are one. Each merge publishes a `merged` profile change; merge safety
 * refuses what it always refuses (different auth user IDs) with a 409 naming why.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MergeRefusedError, type ReviewDecisions } from '../resolver/index.ts';
import type { ProfileChange } from '../schemas/types.ts';

export interface ReviewRouteDeps {
  decisions: ReviewDecisions;
  publishChanges: (changes: ProfileChange[]) => Promise<void>;
}

function refusal(reply: FastifyReply, error: unknown) {
  if (!(error instanceof MergeRefusedError)) throw error;
  return error.reason === 'not_found' ? reply.code(404).send({ error: 'not_found', message: error.message }) : reply.code(409).send({ error: 'conflict', message: error.message });
}

export function registerReviewRoutes(app: FastifyInstance, deps: ReviewRouteDeps): void {
  const merged = async (result: Awaited<ReturnType<ReviewDecisions['merge']>>) => {
    await deps.publishChanges([result.change]);
    return { survivor_id: result.survivorId, merged_id: result.mergedId, version: result.change.version };
  };

  app.post<{ Params: { id: string } }>('/v1/identity/review/:id/approve', async (request, reply) => {
    try {
      return await merged(await deps.decisions.approve(request.tenantId, request.params.id, request.keyId));
    } catch (error) {
      return refusal(reply, error);
    }
  });

  app.post<{ Params: { id: string } }>('/v1/identity/review/:id/reject', async (request, reply) => {
    try {
      return await deps.decisions.reject(request.tenantId, request.params.id, request.keyId);
    } catch (error) {
      return refusal(reply, error);
    }
  });

  app.post<{ Params: { id: string }; Body: { profile_id?: unknown } | null }>('/v1/profiles/:id/merge', async (request, reply) => {
    const other = request.body?.profile_id;
    if (typeof other !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(other)) {
      return reply.code(400).send({ error: 'bad_request', message: 'profile_id must be the ID of the profile to merge in' });
    }
    if (!/^[0-9a-f-]{36}$/i.test(request.params.id)) return reply.code(404).send({ error: 'not_found', message: 'no such profile' });
    try {
      return await merged(await deps.decisions.merge(request.tenantId, [request.params.id, other.toLowerCase()], request.keyId));
    } catch (error) {
      return refusal(reply, error);
    }
  });
}
