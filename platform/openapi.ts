/**
 * The OpenAPI 3.1 description of the ingest API and the read API, served at /docs (Swagger UI)
 * and /docs/json. The document is hand-written, docs/openapi.yaml, served as it is (static
 * mode: nothing is generated from the routes); test/openapi.test.ts checks it against the
 * routes the server registers. Everything under DOCS_PREFIX answers without an API key
 * (isPublicRoute in http.ts); every other route needs one.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** Where Swagger UI and the document are served. */
export const DOCS_PREFIX = '/docs';

export const OPENAPI_DOCUMENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'openapi.yaml');

export function registerOpenApi(app: FastifyInstance): void {
  app.register(swagger, { mode: 'static', specification: { path: OPENAPI_DOCUMENT, baseDir: path.dirname(OPENAPI_DOCUMENT) } });
  app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
}
