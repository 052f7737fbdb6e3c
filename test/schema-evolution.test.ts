/**
 * Schema evolution on the Postgres schema store (the store of deployments without a registry
 * server): BACKWARD compatibility enforced at registration, old and new consumers reading each
 * other's events, and schema IDs that survive a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, topicSchemas, type Codec } from '../schemas/codec.ts';
import { topicNames } from '../schemas/topics.ts';
import { IncompatibleSchemaError, postgresSchemaStore, type SchemaStore } from '../schemas/schema-store.ts';
import { checkSchemas, formatChecks } from '../schemas/schemas-command.ts';
import { migratePostgres } from '../platform/migrate.ts';
import { postgresMigrations } from '../app/migrations.ts';
import type { RawEvent } from '../schemas/types.ts';
import { createTestDatabase, uniqueName, type TestDatabase } from './support/engines.ts';
import { order, withOrderChange as changeOrder } from './support/schema-fixtures.ts';

const topics = topicNames(uniqueName('evo'));
const posTopic = topics.raw.pos;

const withOrderChange = (edit: Parameters<typeof changeOrder>[1]) => changeOrder(topics, edit);

const addLoyaltyPoints = (fields: Record<string, unknown>[]) => [
  ...fields,
  { name: 'loyalty_points', type: ['null', 'long'], default: null, doc: 'Points earned with the order.' },
];

describe('schema evolution on the Postgres schema store', () => {
  let db: TestDatabase;
  let store: SchemaStore;
  let v1: Codec;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migratePostgres(db.pool, postgresMigrations());
    store = postgresSchemaStore(db.pool);
    v1 = await createCodec({ store, topics });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('registers every topic under "<topic>-value" and finds nothing to change afterwards', async () => {
    const checks = await checkSchemas(store, topics.resolved.split('.events.')[0]!);
    expect(checks.map((c) => [c.subject, c.status, c.latestVersion])).toEqual(
      topicSchemas(topics).map((t) => [t.subject, 'unchanged', 1]),
    );
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM schema_versions');
    expect(rows[0].n).toBe(topicSchemas(topics).length);
  });

  it('takes an optional field with a default as a compatible change, and old and new consumers read each other', async () => {
    const v2Schemas = withOrderChange(addLoyaltyPoints);
    const check = await store.check(`${posTopic}-value`, JSON.stringify(v2Schemas.find((t) => t.topic === posTopic)!.schema));
    expect(check).toMatchObject({ status: 'compatible', latestVersion: 1, reasons: [] });

    const v2 = await createCodec({ store, topics, schemas: v2Schemas });
    const written = v2.encode(posTopic, order('new-1', { loyalty_points: 130 }));
    const writtenV1 = v1.encode(posTopic, order('old-1'));
    expect(written.readInt32BE(1)).not.toBe(writtenV1.readInt32BE(1));

    // A consumer still on version 1 reads the event written with version 2 and ignores the new field.
    const readByOld = await v1.decode<RawEvent>(posTopic, written);
    expect(readByOld.order_completed).toMatchObject({ order_id: 'o-new-1', total_minor: 1299, customer_kind: 'walk_in' });
    expect(readByOld.order_completed).not.toHaveProperty('loyalty_points');
    // A consumer on version 2 reads old events, with the default for the new field.
    const readByNew = await v2.decode<RawEvent>(posTopic, writtenV1);
    expect(readByNew.order_completed).toMatchObject({ order_id: 'o-old-1', loyalty_points: null });
    expect((await v2.decode<RawEvent>(posTopic, written)).order_completed).toMatchObject({ loyalty_points: 130 });

    const { rows } = await db.pool.query('SELECT version FROM schema_versions WHERE subject = $1 ORDER BY version', [`${posTopic}-value`]);
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('refuses a field without a default and a changed field type, saying why', async () => {
    const required = withOrderChange((fields) => [...fields, { name: 'receipt_number', type: 'string', doc: 'Receipt.' }]);
    const retyped = withOrderChange((fields) => fields.map((f) => (f.name === 'total_minor' ? { ...f, type: 'string' } : f)));
    for (const schemas of [required, retyped]) {
      const schema = JSON.stringify(schemas.find((t) => t.topic === posTopic)!.schema);
      const check = await store.check(`${posTopic}-value`, schema);
      expect(check.status).toBe('incompatible');
      expect(check.latestVersion).toBe(2);
      expect(check.reasons.join(' ')).toMatch(/receipt_number|total_minor|OrderCompleted|string/);
      expect(formatChecks([check])).toContain('incompatible');
      await expect(store.register(`${posTopic}-value`, schema)).rejects.toBeInstanceOf(IncompatibleSchemaError);
      await expect(createCodec({ store, topics, schemas })).rejects.toThrow(/not BACKWARD compatible/);
    }
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM schema_versions WHERE subject = $1', [`${posTopic}-value`]);
    expect(rows[0].n).toBe(2);
  });

  it('keeps schema IDs across a restart, so events written before it still decode', async () => {
    const before = v1.encode(posTopic, order('before-restart'));
    const restarted = await createCodec({ store: postgresSchemaStore(db.pool), topics });
    expect(restarted.encode(posTopic, order('x')).readInt32BE(1)).toBe(before.readInt32BE(1));
    expect((await restarted.decode<RawEvent>(posTopic, before)).event_id).toBe('before-restart');
  });

  it('sends an event with an unknown schema ID to the dead letters as undecodable, not a crash', async () => {
    const bogus = Buffer.from(v1.encode(posTopic, order('bogus')));
    bogus.writeInt32BE(999_999, 1);
    await expect(v1.decode(posTopic, bogus)).rejects.toThrow(/schema ID 999999/);
  });
});
