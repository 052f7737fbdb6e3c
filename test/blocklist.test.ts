/**
 * The tenant blocklist of junk identifier values on real Postgres: the store (normalized
 * entries, replace and add, the compiled list and its cache) and the API
 * (GET/PUT /v1/identity/blocklist, tenant from the key), tenant isolation, bad input refused
 * with the index and reason of each entry and nothing changed.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../platform/http.ts';
import { createLogger } from '../platform/logger.ts';
import { createMetrics } from '../platform/metrics.ts';
import { registerBlocklistRoutes } from '../api/blocklist.ts';
import { BlocklistError, createBlocklistStore, isBlocked } from '../resolver/blocklist.ts';
import { extractIdentifiers, type Identifier } from '../resolver/identifiers.ts';
import type { RawEvent } from '../schemas/types.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';
import { waitFor } from './support/engines.ts';

const id = (type: Identifier['type'], value: string, source = ''): Identifier => ({ type, source, value });

const ACME_LIST = [
  { type: 'email', value: 'NoEmail@Acme-Shop.com', reason: 'till placeholder' },
  { type: 'email_domain', value: '@acme-internal.test' },
  { type: 'phone', value: '+1 (415) 555-0100', reason: 'shop landline' },
  { type: 'source_record_id', value: 'LOYALTY-TEST-0001', source: 'pos', reason: 'loyalty test card' },
];

describe('identifier blocklist', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const get = (key: string) => t.request('GET', '/v1/identity/blocklist', key);
  const put = (key: string, body: unknown) => t.request('PUT', '/v1/identity/blocklist', key, body);

  it('replaces and reads the list through the API, values normalized as identifiers are', async () => {
    const saved = await put(KEY_A, { entries: ACME_LIST });
    expect(saved.status).toBe(200);
    const expected = [
      { type: 'email', value: 'noemail@acme-shop.com', source: null, reason: 'till placeholder' },
      { type: 'email_domain', value: 'acme-internal.test', source: null, reason: null },
      { type: 'phone', value: '+14155550100', source: null, reason: 'shop landline' },
      { type: 'source_record_id', value: 'LOYALTY-TEST-0001', source: 'pos', reason: 'loyalty test card' },
    ];
    expect(saved.body.entries).toEqual(expected.map((e) => ({ ...e, added_at: expect.any(String) })));
    const read = await get(KEY_A);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(saved.body);

    const rows = await t.db.pool.query("SELECT type, kind, source, value FROM identifier_blocklist WHERE tenant_id = 'tenant_a' ORDER BY type, kind, value");
    expect(rows.rows).toEqual([
      { type: 'email', kind: 'email_domain', source: '', value: 'acme-internal.test' },
      { type: 'email', kind: 'exact', source: '', value: 'noemail@acme-shop.com' },
      { type: 'phone', kind: 'exact', source: '', value: '+14155550100' },
      { type: 'source_record_id', kind: 'exact', source: 'pos', value: 'LOYALTY-TEST-0001' },
    ]);
  });

  it('treats two spellings of one phone as one entry and keeps added_at of entries kept', async () => {
    const before = (await get(KEY_A)).body.entries as { type: string; added_at: string }[];
    await new Promise((r) => setTimeout(r, 20));
    const again = await put(KEY_A, { entries: [...ACME_LIST, { type: 'phone', value: '+14155550100', reason: 'shop landline' }, { type: 'phone', value: '415 555 0100', reason: 'shop landline' }] });
    expect(again.status).toBe(200);
    expect(again.body.entries).toEqual(before);
  });

  it('refuses bad input with the index and reason of each entry, and changes nothing', async () => {
    const before = (await get(KEY_A)).body;
    const bad = await put(KEY_A, {
      entries: [
        { type: 'email', value: 'ok@acme-shop.com' },
        { type: 'fax', value: '+1 415 555 0199' },
        { type: 'phone', value: 'call the shop' },
        { type: 'email', value: 'nobody-at-all' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('bad_request');
    expect(bad.body.message).toMatch(/^3 problems in the blocklist, nothing was changed: entries\[1\]\.type: unknown type "fax"/);
    expect(bad.body.errors).toEqual([
      { index: 1, message: 'entries[1].type: unknown type "fax"; one of email, email_domain, phone, auth_user_id, anonymous_id, source_record_id' },
      { index: 2, message: 'entries[2].value: not a valid phone number (numbers without a country code are read in region US)' },
      { index: 3, message: 'entries[3].value: not an email address (for every address of a domain use type "email_domain")' },
    ]);
    expect(JSON.stringify(bad.body)).not.toContain('call the shop');
    expect(JSON.stringify(bad.body)).not.toContain('nobody-at-all');

    for (const body of [null, [], { entries: 'noemail@acme-shop.com' }, { list: [] }]) {
      const r = await put(KEY_A, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toBe('bad_request');
    }
    expect((await get(KEY_A)).body).toEqual(before);
  });

  it('needs an API key and keeps every tenant to its own list', async () => {
    expect((await get('')).status).toBe(401);
    expect((await t.request('GET', '/v1/identity/blocklist', null)).status).toBe(401);
    expect((await t.request('PUT', '/v1/identity/blocklist', null, { entries: [] })).status).toBe(401);

    const listA = (await get(KEY_A)).body;
    expect((await get(KEY_B)).body).toEqual({ entries: [] });
    // Tenant B blocks a phone and a domain of its own; tenant A's list and matching do not change.
    const b = await put(KEY_B, { entries: [{ type: 'phone', value: '+1 415 555 0142' }, { type: 'email_domain', value: 'mail.test' }] });
    expect(b.status).toBe(200);
    expect(b.body.entries.map((e: { value: string }) => e.value)).toEqual(['mail.test', '+14155550142']);
    expect((await get(KEY_A)).body).toEqual(listA);

    const store = createBlocklistStore(t.db.pool);
    const blocklistA = await store.blocklistOf('tenant_a');
    const blocklistB = await store.blocklistOf('tenant_b');
    expect(isBlocked(blocklistA, id('phone', '+14155550142'))).toBe(false);
    expect(isBlocked(blocklistA, id('email', 'rosa@mail.test'))).toBe(false);
    expect(isBlocked(blocklistA, id('phone', '+14155550100'))).toBe(true);
    expect(isBlocked(blocklistB, id('phone', '+14155550142'))).toBe(true);
    expect(isBlocked(blocklistB, id('phone', '+14155550100'))).toBe(false);

    // Tenant B clearing its list leaves tenant A's alone.
    expect((await put(KEY_B, { entries: [] })).body).toEqual({ entries: [] });
    expect((await get(KEY_B)).body).toEqual({ entries: [] });
    expect((await get(KEY_A)).body).toEqual(listA);
  });

  it("reads phones without a country code in the tenant's region", async () => {
    const keyB = KEY_B;
    expect((await t.request('PUT', '/v1/identity/settings', keyB, { default_region: 'GB' })).status).toBe(200);
    const r = await put(keyB, { entries: [{ type: 'phone', value: '020 7946 0958', reason: 'shop landline' }] });
    expect(r.status).toBe(200);
    expect(r.body.entries).toMatchObject([{ type: 'phone', value: '+442079460958' }]);
    await put(keyB, { entries: [] });
  });

  it('compiles the list for extractIdentifiers: blocked values are rejected, never identifiers', async () => {
    const blocklist = await createBlocklistStore(t.db.pool).blocklistOf('tenant_a');
    const walkIn = (email: string, phone: string, sourceRecordId: string | null = null): RawEvent => ({
      event_id: `walk-in-${email}`,
      tenant_id: 'tenant_a',
      source: 'pos',
      type: 'order_completed',
      occurred_at: Date.UTC(2026, 0, 1),
      received_at: Date.UTC(2026, 0, 1),
      identity: { auth_user_id: null, email, phone, anonymous_id: null, source_record_id: sourceRecordId },
      traits: {},
      properties: {},
    });
    const rosa = extractIdentifiers(walkIn('rosa@mail.test', '(415) 555-0100', 'LOYALTY-TEST-0001'), 'US', { blocklist });
    expect(rosa.identifiers).toEqual([id('email', 'rosa@mail.test')]);
    expect(rosa.rejected).toEqual([
      { type: 'phone', reason: 'blocklisted' },
      { type: 'source_record_id', reason: 'blocklisted' },
    ]);
    const qa = extractIdentifiers(walkIn('qa@eu.acme-internal.test', '+1 415 555 0100'), 'US', { blocklist });
    expect(qa).toEqual({ identifiers: [], rejected: [{ type: 'email', reason: 'blocklisted' }, { type: 'phone', reason: 'blocklisted' }] });
  });

  it('caches the compiled list per tenant; a change through the store is seen at once by all its users', async () => {
    const pool = t.db.pool;
    // One store per process, handed to the resolver and to the routes.
    const resolverSide = createBlocklistStore(pool);
    const apiSide = resolverSide;
    await apiSide.replace('tenant_c', [{ type: 'anonymous_id', value: 'kiosk-1' }], 'US');
    const first = await resolverSide.blocklistOf('tenant_c');
    expect(isBlocked(first, id('anonymous_id', 'kiosk-1'))).toBe(true);
    // A row written behind the store's back is not seen until the cache expires...
    await pool.query("INSERT INTO identifier_blocklist (tenant_id, type, value) VALUES ('tenant_c', 'anonymous_id', 'kiosk-2')");
    expect(await resolverSide.blocklistOf('tenant_c')).toBe(first);
    expect(isBlocked(await createBlocklistStore(pool, { cacheMs: 0 }).blocklistOf('tenant_c'), id('anonymous_id', 'kiosk-2'))).toBe(true);
    // ...but a change through the store is seen at once by everything that holds it.
    await apiSide.add('tenant_c', [{ type: 'anonymous_id', value: 'kiosk-3', reason: 'demo tablet' }], 'US');
    const after = await resolverSide.blocklistOf('tenant_c');
    expect(['kiosk-1', 'kiosk-2', 'kiosk-3'].map((v) => isBlocked(after, id('anonymous_id', v)))).toEqual([true, true, true]);
    expect(await resolverSide.blocklistOf('tenant_c')).toBe(after);
    expect(isBlocked(await resolverSide.blocklistOf('tenant_a'), id('anonymous_id', 'kiosk-1'))).toBe(false);
  });

  it('adds entries, updating the reason of one already there, and refuses bad ones whole', async () => {
    const store = createBlocklistStore(t.db.pool);
    await store.replace('tenant_d', [{ type: 'phone', value: '+1 415 555 0100', reason: 'old' }], 'US');
    const added = await store.add('tenant_d', [{ type: 'phone', value: '(415) 555-0100', reason: 'shop landline' }, { type: 'auth_user_id', value: 'auth|qa' }], 'US');
    expect(added.map((e) => [e.type, e.value, e.reason])).toEqual([
      ['auth_user_id', 'auth|qa', null],
      ['phone', '+14155550100', 'shop landline'],
    ]);
    const error = await store.add('tenant_d', [{ type: 'auth_user_id', value: 'auth|ok' }, { type: 'phone', value: '12' }], 'US').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlocklistError);
    expect((error as BlocklistError).problems).toEqual([{ index: 1, message: 'entries[1].value: not a valid phone number (numbers without a country code are read in region US)' }]);
    expect((await store.list('tenant_d')).map((e) => e.value)).toEqual(['auth|qa', '+14155550100']);
  });

  it('lets the database refuse rows that break the shape of an entry', async () => {
    const insert = (type: string, kind: string, source: string) =>
      t.db.pool.query('INSERT INTO identifier_blocklist (tenant_id, type, kind, source, value) VALUES ($1, $2, $3, $4, $5)', ['tenant_e', type, kind, source, 'x']);
    await expect(insert('fax', 'exact', '')).rejects.toThrow(/check constraint/);
    await expect(insert('phone', 'email_domain', '')).rejects.toThrow(/check constraint/);
    await expect(insert('email', 'exact', 'pos')).rejects.toThrow(/check constraint/);
  });

  it('writes no value to the logs, even at the trace level', async () => {
    let logs = '';
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logs += String(chunk);
        done();
      },
    });
    const app = createHttpServer({
      logger: createLogger('trace', destination),
      metrics: createMetrics(),
      apiKeys: [{ key: 'key_log_tenant_0009', tenantId: 'tenant_log' }],
      keyStore: null,
      maxBodyBytes: 1_000_000,
      isReady: () => true,
    });
    registerBlocklistRoutes(app, {
      blocklists: createBlocklistStore(t.db.pool),
      graph: { tenantSettings: async () => ({ defaultRegion: null, emailProviderRules: false, sharingLimits: {}, sourcePriority: ['crm', 'pos', 'messaging', 'web'] }) },
      defaultRegion: 'US',
    });
    const headers = { authorization: 'Bearer key_log_tenant_0009', 'content-type': 'application/json' };
    try {
      const ok = await app.inject({ method: 'PUT', url: '/v1/identity/blocklist', headers, payload: { entries: ACME_LIST } });
      expect(ok.statusCode).toBe(200);
      const bad = await app.inject({ method: 'PUT', url: '/v1/identity/blocklist', headers, payload: { entries: [{ type: 'phone', value: 'LOYALTY-TEST-0001' }] } });
      expect(bad.statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: '/v1/identity/blocklist', headers })).json().entries).toHaveLength(4);
    } finally {
      await app.close();
    }
    for (const value of ['LOYALTY-TEST-0001', 'acme-shop', 'acme-internal', '5550100', '555-0100']) expect(logs).not.toContain(value);
  });

  it('never merges two walk-ins through the shop phone on the list, through the stream', async () => {
    await put(KEY_B, { entries: [{ type: 'phone', value: '+1 415 555 0177', reason: 'shop landline' }] });
    const walkIn = (id: string, email: string) => ({
      event_id: id,
      source: 'pos',
      type: 'till_visit',
      occurred_at: '2026-05-01T10:00:00Z',
      identity: { email, phone: '(415) 555-0177' },
      traits: { first_name: 'Guest' },
      properties: { store_id: 'S1' },
    });
    expect((await t.request('POST', '/v1/events', KEY_B, [walkIn('bl-walk-1', 'walker.one@mail.test'), walkIn('bl-walk-2', 'walker.two@mail.test')])).status).toBe(200);
    const profileOf = (email: string) =>
      waitFor(async () => {
        const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(email)}`, KEY_B);
        return r.status === 200 ? r.body : null;
      }, 20_000, 'the walk-in profile');
    const one = await profileOf('walker.one@mail.test');
    const two = await profileOf('walker.two@mail.test');
    expect(one.customer360_id).not.toBe(two.customer360_id);
    expect(one.phones).toEqual([]);
    expect(two.phones).toEqual([]);
    expect((await t.request('GET', '/v1/profiles?phone=%2B14155550177', KEY_B)).status).toBe(404);
  });
});
