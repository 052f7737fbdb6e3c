/** GET /v1/pipeline/health: the console's charts, from this process's own metrics (platform/metrics-history.ts). */
import type { FastifyInstance } from 'fastify';
import type { MetricsHistory } from '../platform/metrics-history.ts';

export function registerPipelineHealth(app: FastifyInstance, deps: { history: MetricsHistory }): void {
  app.get('/v1/pipeline/health', async () => deps.history.series());
}
