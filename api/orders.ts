/**
 * GET /v1/orders/{order_id}: the customer of an order (a cashier's or support agent's lookup):
 * the order as the warehouse holds it and the profile it belongs to now (a profile merged away
 * since answers its survivor; GET /v1/profiles/{id} gives the whole profile).
 */
import type { FastifyInstance } from 'fastify';
import type { ClickHouseHandle } from '../platform/clickhouse.ts';
import type { GraphStore } from '../resolver/index.ts';
import { orderOf } from '../warehouse/index.ts';

export function registerOrderRoutes(app: FastifyInstance, deps: { clickhouse: ClickHouseHandle; graph: GraphStore }): void {
  app.get<{ Params: { order_id: string } }>('/v1/orders/:order_id', async (request, reply) => {
    const order = await orderOf(deps.clickhouse, request.tenantId, request.params.order_id);
    const profile = order ? await deps.graph.profileById(request.tenantId, order.customer360_id) : null;
    if (!order || !profile) return reply.code(404).send({ error: 'not_found', message: 'no completed order with that ID' });
    return {
      order_id: order.order_id,
      occurred_at: order.occurred_at,
      amount: order.amount,
      currency: order.currency,
      source: order.source,
      customer360_id: profile.customer360_id,
    };
  });
}
