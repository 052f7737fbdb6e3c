/**
 * API keys issued with `c360 keys create`: stored as digests only, scoped to a tenant and to
 * sources, revocable; the CLI run as a separate process against the test database.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { startTestRuntime, type TestRuntime } from './support/runtime.ts';

const run = promisify(execFile);

describe('issued API keys', () => {
  let t: TestRuntime;
  const cli = (...args: string[]) =>
    run(process.execPath, ['bin/c360.js', 'keys', ...args], { env: { ...process.env, DATABASE_URL: t.db.url, C360_LOG_LEVEL: 'warn' } });

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const event = (id: string, source: string) => ({
    event_id: id,
    source,
    type: 'contact_updated',
    occurred_at: '2026-04-01T00:00:00Z',
    identity: { email: `${id}@mail.test` },
  });

  it('creates a key shown once, stores only its digest, scopes it, and revokes it', async () => {
    const created = await cli('create', '--tenant', 'tenant_a', '--sources', 'crm', '--name', 'CRM sync');
    const key = created.stdout.split('\n')[0]!.trim();
    expect(key).toMatch(/^c360_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
    const keyId = key.split('_')[1]!;

    // Only the digest is at rest.
    const stored = await t.db.pool.query('SELECT * FROM api_keys WHERE key_id = $1', [keyId]);
    expect(stored.rows).toHaveLength(1);
    // The secret part (base64url, which may itself hold "_") is nowhere at rest.
    const secret = key.slice(`c360_${keyId}_`.length);
    expect(secret).toHaveLength(32);
    expect(JSON.stringify(stored.rows[0])).not.toContain(secret);
    expect(stored.rows[0]).toMatchObject({ tenant_id: 'tenant_a', sources: ['crm'], name: 'CRM sync', revoked_at: null });

    const sent = await t.request('POST', '/v1/events', key, [event('k1', 'crm'), event('k2', 'pos')]);
    expect(sent.status).toBe(200);
    expect(sent.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'rejected']);
    expect(sent.body.results[1].errors[0].path).toBe('/source');
    // The tenant is the key's: the profile is tenant_a's.
    const found = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=k1%40mail.test', 'key_tenant_a_0001');
      return r.status === 200 ? r.body : null;
    }, 20_000, 'the profile sent with the issued key');
    expect(found.emails).toEqual(['k1@mail.test']);

    const listed = await cli('list', '--tenant', 'tenant_a');
    expect(listed.stdout).toContain(keyId);
    expect(listed.stdout).toContain('crm');
    expect(listed.stdout).not.toContain(key);

    const revoked = await cli('revoke', keyId);
    expect(revoked.stdout).toContain('revoked');
    await waitFor(async () => (await t.request('POST', '/v1/events', key, [event('k3', 'crm')])).status === 401, 20_000, 'the revoked key refused');
  });

  it('issues a key with a role, which the routes hold it to', async () => {
    const created = await cli('create', '--tenant', 'tenant_a', '--role', 'read', '--name', 'marketing tool');
    const key = created.stdout.split('\n')[0]!.trim();
    expect(created.stdout).toContain('role read');
    expect((await t.request('GET', '/v1/segments', key)).status).toBe(200);
    expect((await t.request('POST', '/v1/events', key, [event('r1', 'crm')])).body).toMatchObject({ error: 'forbidden' });
    expect((await t.request('POST', '/v1/sql', key, { query: 'SELECT 1' })).status).toBe(403);
    // Without --role: a key limited to sources sends events only.
    const ingest = (await cli('create', '--tenant', 'tenant_a', '--sources', 'pos')).stdout.split('\n')[0]!.trim();
    expect((await t.request('GET', '/v1/segments', ingest)).status).toBe(403);
    expect((await cli('list', '--tenant', 'tenant_a')).stdout).toMatch(/ read  all sources /);
    await expect(cli('create', '--tenant', 'tenant_a', '--role', 'owner')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown role owner') });
  });

  it('refuses unknown keys, unknown sources and bad tenants with a clear message', async () => {
    expect((await t.request('POST', '/v1/events', 'c360_000000000000_nope', [event('x', 'crm')])).status).toBe(401);
    await expect(cli('create', '--tenant', 'tenant_a', '--sources', 'fax')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown source fax') });
    await expect(cli('create', '--tenant', 'bad tenant')).rejects.toMatchObject({ code: 2 });
    await expect(cli('revoke', 'ffffffffffff')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('no key with ID') });
  });
});
