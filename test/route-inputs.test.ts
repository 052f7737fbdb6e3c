/**
 * Every route checks its query and path parameters against the OpenAPI description before its
 * handler runs (platform/openapi-inputs.ts): a value of the wrong kind is a 400 that names the
 * parameter, and what the document allows still reaches the handler as it did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT } from '../platform/openapi.ts';
import { routeInputsOf } from '../platform/openapi-inputs.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('route inputs from the OpenAPI description', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('reads each operation\'s parameters as text schemas', () => {
    const inputs = routeInputsOf(OPENAPI_DOCUMENT);
    const find = inputs.get('GET /v1/profiles')!;
    expect(find.querystring).toMatchObject({ type: 'object', properties: { email: { type: 'string' }, include_deleted: { type: 'string', enum: ['true', 'false'] } } });
    expect((find.querystring!.properties as Record<string, { enum?: string[] }>).source!.enum).toEqual(expect.arrayContaining(['crm', 'pos', 'web', 'messaging']));
    expect(inputs.get('GET /v1/profiles/:id')!.params).toMatchObject({ required: ['id'], properties: { id: { type: 'string' } } });
    expect(inputs.get('GET /v1/segments/:id/members')!.querystring).toMatchObject({ properties: { limit: { type: 'string', pattern: expect.any(String) } } });
  });

  it('answers 400 naming the parameter for a value the document does not allow', async () => {
    for (const [route, name] of [
      ['/v1/profiles?source=fax&source_record_id=1', 'source'],
      ['/v1/profiles?email=a%40b.test&include_deleted=maybe', 'include_deleted'],
      ['/v1/profiles/00000000-0000-4000-8000-000000000000?include_deleted=1', 'include_deleted'],
      ['/v1/identity/review?limit=many', 'limit'],
      ['/v1/segments/Not%20An%20Id', 'id'],
    ] as const) {
      const answer = await t.request('GET', route, KEY_A);
      expect(answer.status, route).toBe(400);
      expect(answer.body, route).toMatchObject({ error: 'bad_request' });
      expect(String(answer.body.message), route).toContain(name);
    }
  });

  it('lets what the document allows through to the handler', async () => {
    expect((await t.request('GET', '/v1/profiles?email=nobody%40mail.test&include_deleted=true', KEY_A)).status).toBe(404);
    expect((await t.request('GET', '/v1/identity/review?limit=1.5', KEY_A)).status).toBe(200);
    expect((await t.request('GET', '/v1/profiles/not-a-uuid', KEY_A)).status).toBe(404);
  });
});
