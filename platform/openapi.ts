/**
 * The OpenAPI 3.1 description of the ingest API and the read API, served at /docs (Swagger UI)
 * and /docs/json. The document is hand-written, docs/openapi.yaml, served as it is (static
 * mode: nothing is generated from the routes); test/openapi.test.ts checks it against the
 * routes the server registers. /docs needs no API key: only /v1/ is authenticated.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export const OPENAPI_DOCUMENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'openapi.yaml');

export function registerOpenApi(app: FastifyInstance): void {
  app.register(swagger, { mode: 'static', specification: { path: OPENAPI_DOCUMENT, baseDir: path.dirname(OPENAPI_DOCUMENT) } });
  app.register(swaggerUi, { routePrefix: '/docs' });
}
