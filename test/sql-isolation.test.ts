/**
 * The SQL endpoint against a hostile tenant: two tenants with the same person (same email, phone,
 * auth ID and event IDs); tenant B tries every trick known to reach tenant A's rows. Each attempt
 * is either refused with the reason or answers B's rows only, and no answer or error message
 * carries anything of A.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('SQL endpoint isolation (adversarial)', () => {
  let t: TestRuntime;
  let db: string;
  let a: { customer360_id: string };
  let b: { customer360_id: string };
  const sql = (key: string, query: string) => t.request('POST', '/v1/sql', key, { query });
  /** What of tenant A must never reach tenant B: its profile ID and values only A sent. */
  const secretsOfA = () => [a.customer360_id, 'Alma', 'SECRET-A', 'alma-only@mail.test'];

  const person = { email: 'same.person@mail.test', phone: '+14155550123', auth_user_id: 'user-1' };
  const order = (id: string, totalMinor: number, firstName: string, extra: object = {}) => ({
    event_id: id,
    source: 'pos',
    type: 'order_completed',
    occurred_at: '2026-05-01T12:00:00Z',
    identity: person,
    traits: { first_name: firstName, ...extra },
    properties: { order_id: id, total_minor: totalMinor, currency: 'USD', note: firstName === 'Alma' ? 'SECRET-A' : 'b-note' },
  });

  beforeAll(async () => {
    t = await startTestRuntime();
    db = t.runtime.clickhouse!.database;
    await t.request('POST', '/v1/events', KEY_A, [order('shared-1', 10000, 'Alma'), order('shared-2', 2000, 'Alma')]);
    await t.request('POST', '/v1/events', KEY_B, [order('shared-1', 90000, 'Bertil')]);
    await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'a-web', source: 'web', type: 'page_viewed', occurred_at: '2026-05-02T12:00:00Z', identity: { email: 'alma-only@mail.test' }, properties: { url: 'https://a.test/SECRET-A' } },
    ]);
    const profileOf = (key: string, revenue: number) =>
      waitFor(async () => {
        const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(person.email)}`, key);
        return r.status === 200 && r.body.aggregates.total_revenue === revenue ? r.body : null;
      }, 30_000, `the profile worth ${revenue}`);
    a = await profileOf(KEY_A, 120);
    b = await profileOf(KEY_B, 900);
    const rule = { all: [{ field: 'total_revenue', op: '>', value: 0 }] };
    await t.request('POST', '/v1/segments', KEY_A, { segment_id: 'buyers', name: 'Buyers', rule });
    await t.request('POST', '/v1/segments', KEY_B, { segment_id: 'buyers', name: 'Buyers', rule });
    // A's rows are in every table an attempt could reach.
    await waitFor(async () => {
      const r = await sql(KEY_A, 'SELECT (SELECT count() FROM events_by_profile) AS e, (SELECT count() FROM profile_daily_activity) AS d, (SELECT count() FROM segment_membership) AS m');
      return r.status === 200 && r.body.rows[0].e >= 3 && r.body.rows[0].d >= 1 && r.body.rows[0].m >= 1 ? true : null;
    }, 30_000, "tenant A's rows in the warehouse");
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers a tenant its own rows, whatever table, view, join or subquery it reads', async () => {
    const count = async (query: string) => {
      const r = await sql(KEY_B, query);
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(200);
      return r.body.rows[0].n;
    };
    expect(await count('SELECT count() AS n FROM customer360')).toBe(1);
    expect(await count('SELECT count() AS n FROM events')).toBe(1);
    expect(await count("SELECT count() AS n FROM events WHERE tenant_id = 'tenant_a'")).toBe(0);
    expect(await count('SELECT count() AS n FROM events_by_profile')).toBe(1);
    expect(await count(`SELECT count() AS n FROM ${db}.events_by_profile`)).toBe(1);
    expect(await count('SELECT count() AS n FROM profile_daily_activity')).toBe(1);
    expect(await count('SELECT count() AS n FROM segment_membership')).toBe(1);
    expect(await count(`SELECT count() AS n FROM profiles WHERE customer360_id = '${a.customer360_id}'`)).toBe(0);
    expect(await count("SELECT count() AS n FROM events WHERE properties LIKE '%SECRET-A%'")).toBe(0);
    expect(await count('SELECT count() AS n FROM "events"')).toBe(1);
    expect(await count('SELECT count() AS n FROM `events` AS `system.tables`')).toBe(1);
    expect(await count("SELECT count() AS n FROM events WHERE ';' != '--' /* a comment */")).toBe(1);
    expect(await count('SELECT count() AS n FROM events -- ) SETTINGS readonly = 0')).toBe(1);
    expect(await count('SELECT count() AS n FROM (SELECT * FROM events) AS e JOIN profiles AS p ON p.customer360_id = e.customer360_id')).toBe(1);
    expect(await count('WITH x AS (SELECT * FROM events) SELECT count() AS n FROM x')).toBe(1);
    expect(await count('SELECT (SELECT count() FROM events) AS n')).toBe(1);
    expect(await count("SELECT count() AS n FROM numbers(10) WHERE number IN (SELECT toUInt64(orders_count) FROM profile_aggregates)")).toBe(1);
    expect(await count('SELECT count() AS n FROM events UNION ALL SELECT count() AS n FROM events')).toBe(1);
    expect(await count('SELECT uniqExact(customer360_id) AS n FROM events')).toBe(1);
    expect(await count('SELECT countIf(total_revenue > 0) AS n FROM customer360')).toBe(1);
    expect(await count('SELECT max(rn) AS n FROM (SELECT row_number() OVER (ORDER BY occurred_at) AS rn FROM events)')).toBe(1);
    expect((await sql(KEY_B, 'SELECT sum(total_revenue) AS r FROM customer360')).body.rows).toEqual([{ r: 900 }]);
    // A's data is whole for A.
    expect((await sql(KEY_A, 'SELECT sum(total_revenue) AS r FROM customer360')).body).toEqual({ rows: [{ r: 120 }], truncated: false });
  });

  it('refuses every way out of the tenant and says what it refused', async () => {
    const attempts: [string, RegExp][] = [
      // Materialized views (their reads bypass the filters of the tables they write).
      ['SELECT * FROM events_by_profile_mv', /events_by_profile_mv is not available/],
      [`SELECT * FROM ${db}.events_by_profile_mv`, /events_by_profile_mv is not available/],
      ['SELECT * FROM profile_daily_activity_mv', /profile_daily_activity_mv is not available/],
      [`SELECT * FROM ${db}.profile_daily_activity_mv`, /profile_daily_activity_mv is not available/],
      ['SELECT * FROM events WHERE customer360_id IN (SELECT customer360_id FROM events_by_profile_mv)', /events_by_profile_mv is not available/],
      [`SELECT * FROM events WHERE customer360_id IN ${db}.events_by_profile_mv`, /events_by_profile_mv is not available/],
      ['WITH m AS (SELECT * FROM profile_daily_activity_mv) SELECT * FROM m', /profile_daily_activity_mv is not available/],
      // Table functions, however placed.
      [`SELECT * FROM merge('${db}', '.*')`, /table function merge\(\)/],
      [`SELECT * FROM events, merge('${db}', '.*')`, /table function merge\(\)/],
      [`SELECT * FROM events AS e JOIN merge('${db}', 'events') AS m ON 1`, /table function merge\(\)/],
      [`SELECT * FROM events WHERE customer360_id IN (SELECT customer360_id FROM merge('${db}', 'events'))`, /table function merge\(\)/],
      [`SELECT * FROM mergeTreeIndex('${db}', 'profiles')`, /table function mergeTreeIndex\(\)/],
      [`SELECT * FROM events, mergeTreeIndex('${db}', 'profiles', with_marks = true)`, /table function mergeTreeIndex\(\)/],
      ['SELECT * FROM view(SELECT * FROM events)', /table function view\(\)/],
      ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file\(\)/],
      ["SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')", /table function url\(\)/],
      ["SELECT * FROM remote('127.0.0.1', 'system', 'tables')", /table function remote\(\)/],
      ["SELECT * FROM cluster('default', 'system', 'tables')", /table function cluster\(\)/],
      ["SELECT * FROM generateRandom('a String')", /table function generateRandom\(\)/],
      ['SELECT * FROM loop(events)', /table function loop\(\)|not available/],
      // Closing the wrapper's parenthesis, comments and string literals that hide the rest.
      [`SELECT 1) UNION ALL SELECT * FROM merge('${db}', '.*') --`, /Syntax error|Unmatched parentheses/],
      [`SELECT 1 ) , merge('${db}', 'events') AS m SETTINGS readonly = 0 --`, /Syntax error|Unmatched parentheses/],
      ["SELECT '--' AS x, * FROM system.tables", /system database is not available/],
      [`SELECT '--' AS x, * FROM merge('${db}', '.*')`, /table function merge\(\)/],
      ["SELECT '--' AS x, * FROM (SELECT * FROM events SETTINGS additional_table_filters = {'events': '1'})", /SETTINGS are not accepted/],
      ["SELECT '/*' AS x, * FROM system.tables -- */", /system database is not available/],
      ["SELECT 'it''s' AS x, * FROM system.tables", /system database is not available/],
      ['SELECT * FROM events /* ) SETTINGS readonly = 0', /Syntax error|comment/i],
      // Other databases and the engine's own tables.
      ['SELECT * FROM system.tables', /system database is not available/],
      ['SELECT * FROM "system"."tables"', /system database is not available/],
      ['SELECT * FROM `system`.`query_log`', /system database is not available/],
      ['SELECT * FROM INFORMATION_SCHEMA.TABLES', /INFORMATION_SCHEMA database is not available/],
      ['SELECT * FROM information_schema.columns', /information_schema database is not available/],
      ['SELECT 1 FROM events WHERE event_id IN system.tables', /system database is not available/],
      ['SELECT (SELECT groupArray(name) FROM system.tables) AS t', /system database is not available/],
      ['SELECT * FROM default.anything', /default database is not available/],
      // Settings, in every place they can be written.
      ["SELECT * FROM events SETTINGS additional_table_filters = {'events': '1'}", /SETTINGS are not accepted/],
      ["SELECT * FROM (SELECT * FROM events SETTINGS additional_table_filters = {'events': '1'})", /SETTINGS are not accepted/],
      ['SELECT * FROM events UNION ALL SELECT * FROM events SETTINGS readonly = 0', /SETTINGS are not accepted/],
      ['SET readonly = 0', /only SELECT/],
      // Functions that read beyond the query's rows.
      ["SELECT file('/etc/passwd')", /function file\(\)/],
      ["SELECT getSetting('additional_table_filters')", /function getSetting\(\)/],
      ["SELECT hasColumnInTable('system', 'tables', 'name')", /function hasColumnInTable\(\)/],
      ["SELECT joinGet('x', 'y', 1)", /function joinGet\(\)/],
      ["SELECT dictGet('d', 'a', 1)", /function dictGet\(\)/],
      ["SELECT dictGetString('d', 'a', toUInt64(1))", /function dictGetString\(\)/],
      ['SELECT currentDatabase()', /function currentDatabase\(\)/],
      ['SELECT sleepEachRow(3) FROM events', /function sleepEachRow\(\)/],
      ["SELECT getMacro('x')", /function getMacro\(\)/],
      ['SELECT filesystemAvailable()', /function filesystemAvailable\(\)/],
      // Not a SELECT, or not JSON.
      ['SELECT 1; DROP TABLE events', /Multi-statements are not allowed/],
      ['SELECT 1; SELECT * FROM system.tables', /Multi-statements are not allowed/],
      ["INSERT INTO events (tenant_id) VALUES ('tenant_b')", /only SELECT/],
      ['DROP TABLE events', /only SELECT/],
      ['EXPLAIN SELECT * FROM system.tables', /only SELECT/],
      ['SHOW TABLES', /only SELECT/],
      ['DESCRIBE TABLE events', /only SELECT/],
      ['SELECT * FROM events FORMAT TSV', /FORMAT/],
      ["SELECT * FROM events INTO OUTFILE '/tmp/x'", /FORMAT and INTO OUTFILE/],
    ];
    let refused = 0;
    for (const [query, reason] of attempts) {
      const r = await sql(KEY_B, query);
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.message, query).toMatch(reason);
      for (const secret of secretsOfA()) expect(JSON.stringify(r.body), query).not.toContain(secret);
      refused++;
    }
    console.log(`SQL isolation: ${refused} hostile queries refused, 0 leaks`);
  });

  it('leaks nothing of another tenant through error messages or results', async () => {
    const probes = [
      "SELECT toUInt8((SELECT any(first_name) FROM profiles WHERE tenant_id = 'tenant_a')) AS x",
      'SELECT toUInt8((SELECT any(first_name) FROM profiles)) AS x',
      "SELECT throwIf((SELECT count() FROM events WHERE tenant_id = 'tenant_a') > 0, 'leak') AS x",
      "SELECT toUUID((SELECT any(properties) FROM events WHERE properties LIKE '%SECRET%')) AS x",
      'SELECT * FROM events',
      'SELECT * FROM customer360',
      'SELECT * FROM profiles',
      'SELECT * FROM profile_aggregates',
      'SELECT * FROM events_by_profile',
      'SELECT * FROM profile_daily_activity',
      'SELECT * FROM segment_membership',
      'SELECT * FROM segment_membership_history',
      'SELECT * FROM segments',
      'SELECT * FROM profile_id_map',
      'SELECT _table, _part, * FROM events',
      'SELECT * FROM events FINAL',
      `SELECT * FROM events WHERE customer360_id = '${a.customer360_id}'`,
      "SELECT * FROM events WHERE event_id = 'shared-1'",
    ];
    let answered = 0;
    for (const query of probes) {
      const r = await sql(KEY_B, query);
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBeLessThan(500);
      if (r.status === 200) answered++;
      for (const secret of secretsOfA()) expect(JSON.stringify(r.body), query).not.toContain(secret);
    }
    // The table reads answered (B's own rows); the probes built to fail did.
    expect(answered).toBeGreaterThanOrEqual(probes.length - 4);
    const mine = await sql(KEY_B, "SELECT event_id FROM events WHERE event_id = 'shared-1'");
    expect(mine.body.rows).toEqual([{ event_id: 'shared-1' }]);
    expect(JSON.stringify((await sql(KEY_B, 'SELECT * FROM customer360')).body)).toContain(b.customer360_id);
  });

  it('leaves nothing behind in the shared warehouse session', async () => {
    await sql(KEY_B, "SELECT * FROM events SETTINGS additional_table_filters = {'events': '1'}");
    await sql(KEY_B, 'SELECT count() FROM events');
    // The pipeline still writes and reads everything: a new event of A lands.
    await t.request('POST', '/v1/events', KEY_A, [order('shared-3', 3000, 'Alma')]);
    await waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles/${a.customer360_id}`, KEY_A);
      return r.body.aggregates?.total_revenue === 150 ? true : null;
    }, 30_000, "A's third order in the aggregates");
  });
});
