/**
 * Every route checks its query and path parameters against the OpenAPI description
 * (docs/openapi.yaml): each documented operation's parameters become the Fastify schema of its
 * route (added as routes are registered, by an onRoute hook), so an unknown source, a boolean
 * that is not true or false, a number that is not one, or a required parameter left out is a
 * 400 with the reason before the handler runs.
 *
 * Query values stay text: each schema is rewritten to the string form of its type (a boolean
 * as "true" or "false", an integer as digits), so Ajv's type coercion never changes what a
 * handler reads. Bodies are checked by their handlers, which answer per record.
 */
import fs from 'node:fs';
import YAML from 'yaml';
import type { FastifyInstance } from 'fastify';
import { KEY_ROLES, isKeyRole, type KeyRole } from './key-roles.ts';

type JsonSchema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

interface Document {
  paths: Record<string, Record<string, { parameters?: unknown[]; 'x-c360-role'?: unknown }>>;
  [key: string]: unknown;
}

export interface RouteInputs {
  querystring?: JsonSchema;
  params?: JsonSchema;
  /** The role a key needs (x-c360-role). */
  role?: KeyRole;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** The value a local `$ref` ("#/components/...") points to. */
function deref<T>(doc: Document, node: T, depth = 0): T {
  const ref = (node as { $ref?: unknown } | null)?.$ref;
  if (typeof ref !== 'string' || depth > 10) return node;
  const target = ref.replace(/^#\//, '').split('/').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], doc);
  return deref(doc, target as T, depth + 1);
}

/** A parameter's schema as text: what a query string or path segment carries. */
function asText(doc: Document, schema: JsonSchema | undefined): JsonSchema {
  const s = deref(doc, schema ?? {});
  const enumValues = Array.isArray(s.enum) ? { enum: s.enum.map(String) } : {};
  switch (s.type) {
    case 'boolean':
      return { type: 'string', enum: ['true', 'false'] };
    case 'integer':
    case 'number':
      // A number; where an integer is wanted the handler rounds a fraction down, as documented.
      return { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$', ...enumValues };
    default:
      return {
        type: 'string',
        ...enumValues,
        ...(typeof s.pattern === 'string' ? { pattern: s.pattern } : {}),
        ...(typeof s.maxLength === 'number' ? { maxLength: s.maxLength } : {}),
      };
  }
}

function objectSchema(doc: Document, parameters: Parameter[]): JsonSchema | undefined {
  if (parameters.length === 0) return undefined;
  const required = parameters.filter((p) => p.required).map((p) => p.name);
  return {
    type: 'object',
    properties: Object.fromEntries(parameters.map((p) => [p.name, asText(doc, p.schema)])),
    ...(required.length ? { required } : {}),
  };
}

/** The input schemas of every documented operation, by "METHOD /fastify/:path". */
export function routeInputsOf(documentPath: string): Map<string, RouteInputs> {
  const doc = YAML.parse(fs.readFileSync(documentPath, 'utf8')) as Document;
  const out = new Map<string, RouteInputs>();
  for (const [route, operations] of Object.entries(doc.paths ?? {})) {
    const url = route.replace(/\{([^}]+)\}/g, ':$1');
    for (const method of METHODS) {
      const operation = operations[method];
      if (!operation) continue;
      const parameters = (operation.parameters ?? []).map((p) => deref(doc, p) as Parameter);
      const role = operation['x-c360-role'];
      if (role !== undefined && !isKeyRole(role)) throw new Error(`${method.toUpperCase()} ${route}: x-c360-role "${String(role)}" is not a role (${KEY_ROLES.join(', ')})`);
      out.set(`${method.toUpperCase()} ${url}`, {
        querystring: objectSchema(doc, parameters.filter((p) => p.in === 'query')),
        params: objectSchema(doc, parameters.filter((p) => p.in === 'path')),
        role,
      });
    }
  }
  return out;
}

/**
 * Gives each route registered after this call the schemas of its documented parameters and the
 * role its operation names. A /v1 route that names no role does not start: every route states it.
 */
export function checkRouteInputs(app: FastifyInstance, inputs: Map<string, RouteInputs>): void {
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      // Fastify answers HEAD with the GET route's handler: it needs what the GET needs.
      const found = inputs.get(`${method === 'HEAD' ? 'GET' : method} ${route.url}`);
      if (route.url.startsWith('/v1/') && !found?.role) throw new Error(`${method} ${route.url} states no role: give its operation x-c360-role in docs/openapi.yaml`);
      if (!found) continue;
      route.config = { ...(route.config ?? {}), role: found.role };
      const schema = { ...(route.schema ?? {}) } as Record<string, unknown>;
      if (found.querystring && !schema.querystring) schema.querystring = found.querystring;
      if (found.params && !schema.params) schema.params = found.params;
      route.schema = schema;
    }
  });
}
