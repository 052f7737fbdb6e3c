/**
 * The routes a running server registered, as Fastify declared them ("GET /v1/profiles/:id"),
 * collected while it starts: Fastify announces each new instance on a diagnostics channel
 * before any route is added, and an onRoute hook added then sees every route.
 */
import dc from 'node:diagnostics_channel';
import type { FastifyInstance, HTTPMethods } from 'fastify';

export interface RegisteredRoute {
  method: string;
  /** The route as declared, with its parameters: /v1/profiles/:id, /docs/static/*. */
  url: string;
}

/** Runs `start` and answers what it started with the routes of the Fastify instance `appOf` names. */
export async function withRoutes<T>(start: () => Promise<T>, appOf: (started: T) => FastifyInstance | null): Promise<{ started: T; routes: RegisteredRoute[] }> {
  const routesOf = new Map<FastifyInstance, RegisteredRoute[]>();
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    const routes: RegisteredRoute[] = [];
    routesOf.set(fastify, routes);
    fastify.addHook('onRoute', (route) => {
      for (const method of ([] as string[]).concat(route.method as HTTPMethods | HTTPMethods[])) routes.push({ method, url: route.url ?? route.path });
    });
  };
  dc.subscribe('fastify.initialization', onInit);
  let started: T;
  try {
    started = await start();
  } finally {
    dc.unsubscribe('fastify.initialization', onInit);
  }
  const app = appOf(started);
  const routes = app ? routesOf.get(app) : undefined;
  if (!routes) throw new Error('the server was not seen at its creation');
  const unique = new Map(routes.map((r) => [`${r.method} ${r.url}`, r]));
  return { started, routes: [...unique.values()].sort((a, b) => `${a.url} ${a.method}`.localeCompare(`${b.url} ${b.method}`)) };
}

/** Routes that answer without an API key: the health check, the documentation, the metrics. */
export const isPublicRoute = (url: string) =>
  url === '/healthz' || url === '/metrics' || url === '/docs' || url.startsWith('/docs/') || url === '/console' || url.startsWith('/console/');
