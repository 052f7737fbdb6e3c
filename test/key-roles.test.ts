/**
 * Key roles inside a tenant: every route of the API walked with a key of every role. A key of
 * a role the route does not allow gets 403 `forbidden` before anything else; an allowed one gets
 * whatever the route answers to a bare request (never 403). Prints the table of routes x roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleAllows, KEY_ROLES, type KeyRole } from '../platform/key-roles.ts';
import { OPENAPI_DOCUMENT } from '../platform/openapi.ts';
import { routeInputsOf } from '../platform/openapi-inputs.ts';
import { KEY_A, KEY_A_INGEST, KEY_A_POS, KEY_A_READ, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const KEYS: Record<KeyRole, string> = { ingest: KEY_A_INGEST, read: KEY_A_READ, admin: KEY_A };
const SAMPLE_ID = '00000000-0000-4000-8000-000000000001';

describe('key roles', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lets each role use exactly the routes that name it (admin every route)', async () => {
    const routes = [...routeInputsOf(OPENAPI_DOCUMENT)].filter(([route]) => route.includes(' /v1/'));
    expect(routes.length).toBeGreaterThan(30);
    const table: string[] = ['| route | needs | ingest | read | admin |', '| --- | --- | --- | --- | --- |'];
    for (const [route, inputs] of routes) {
      expect(inputs.role, `${route} states its role`).toBeDefined();
      const [method, url] = route.split(' ') as [string, string];
      const path = url.replace(':id', url.startsWith('/v1/segments/') ? 'vip' : SAMPLE_ID);
      const cells: string[] = [];
      for (const role of KEY_ROLES) {
        const answer = await t.request(method, path, KEYS[role], method === 'GET' || method === 'DELETE' ? undefined : {});
        if (roleAllows(role, inputs.role!)) {
          expect(answer.status, `${role} on ${route}`).not.toBe(403);
        } else {
          expect(answer.status, `${role} on ${route}`).toBe(403);
          expect(answer.body, `${role} on ${route}`).toMatchObject({ error: 'forbidden' });
          expect(String(answer.body.message)).toContain(`needs ${inputs.role}`);
        }
        cells.push(answer.status === 403 ? '403' : `ok (${answer.status})`);
      }
      table.push(`| ${route} | ${inputs.role} | ${cells.join(' | ')} |`);
    }
    process.stdout.write(`routes x roles:\n${table.join('\n')}\n`);
  });

  it('makes a key limited to some sources an ingest key unless it names a role', async () => {
    expect((await t.request('GET', `/v1/profiles/${SAMPLE_ID}`, KEY_A_POS)).status).toBe(403);
    expect((await t.request('POST', '/v1/sql', KEY_A_POS, { query: 'SELECT 1' })).status).toBe(403);
    expect((await t.request('POST', `/v1/profiles/${SAMPLE_ID}/erase`, KEY_A_POS, {})).status).toBe(403);
    const sent = await t.request('POST', '/v1/events', KEY_A_POS, [{ event_id: 'role-1', source: 'pos', type: 'order_completed', occurred_at: '2026-01-01T00:00:00Z', identity: { email: 'r@mail.test' }, properties: { order_id: 'o-r1', total_minor: 100, currency: 'USD' } }]);
    expect(sent.status).toBe(200);
  });
});
