/**
 * Schema evolution on a real Schema Registry server (the tests' Apicurio Registry, started by
 * the global setup in their Kafka, or SCHEMA_REGISTRY_URL), through its Confluent-compatible API
 * as a deployment uses it: the server refuses an incompatible change (409), `c360 schemas check`
 * reports it and exits 1, and a consumer still on the old schema reads events written with a
 * newer compatible one. Where no server runs (no Java 21 or newer) the setup says so and this
 * file is skipped, as on a machine without Java the Kafka tests fall back to the mock cluster.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createCodec, topicSchemas, type Codec } from '../schemas/codec.ts';
import { topicNames } from '../schemas/topics.ts';
import { IncompatibleSchemaError, registrySchemaStore, type SchemaStore } from '../schemas/schema-store.ts';
import { checkSchemas } from '../schemas/schemas-command.ts';
import type { RawEvent } from '../schemas/types.ts';
import { uniqueName } from './support/engines.ts';
import { order, withOrderChange as changeOrder } from './support/schema-fixtures.ts';

const registryUrl = inject('schemaRegistryUrl');

const prefix = uniqueName('reg');
const topics = topicNames(prefix);
const posTopic = topics.raw.pos;

const withOrderChange = (edit: Parameters<typeof changeOrder>[1]) => changeOrder(topics, edit);

describe.skipIf(!registryUrl)('schema evolution on a Schema Registry server', () => {
  let store: SchemaStore;
  let v1: Codec;

  beforeAll(async () => {
    store = registrySchemaStore(registryUrl);
    v1 = await createCodec({ store, topics });
  });

  it('registers every topic and then finds nothing to change', async () => {
    const checks = await checkSchemas(store, prefix);
    expect(checks.map((c) => c.status)).toEqual(topicSchemas(topics).map(() => 'unchanged'));
  });

  it('takes a field with a default, and a consumer on the old schema reads events of the new one', async () => {
    const v2Schemas = withOrderChange((fields) => [...fields, { name: 'loyalty_points', type: ['null', 'long'], default: null, doc: 'Points earned.' }]);
    expect((await store.check(`${posTopic}-value`, JSON.stringify(v2Schemas.find((t) => t.topic === posTopic)!.schema))).status).toBe('compatible');
    const v2 = await createCodec({ store, topics, schemas: v2Schemas });
    const written = v2.encode(posTopic, order('new-1', { loyalty_points: 130 }));
    expect(written.readInt32BE(1)).not.toBe(v1.encode(posTopic, order('old-1')).readInt32BE(1));
    const readByOld = await v1.decode<RawEvent>(posTopic, written);
    expect(readByOld.order_completed).toMatchObject({ order_id: 'o-new-1', total_minor: 1299 });
    expect(readByOld.order_completed).not.toHaveProperty('loyalty_points');
  });

  it('refuses a field without a default with 409, and `c360 schemas check` reports it', async () => {
    const required = withOrderChange((fields) => [...fields, { name: 'receipt_number', type: 'string', doc: 'Receipt.' }]);
    const schema = JSON.stringify(required.find((t) => t.topic === posTopic)!.schema);
    expect((await store.check(`${posTopic}-value`, schema)).status).toBe('incompatible');
    const refusal = await store.register(`${posTopic}-value`, schema).then(() => null, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(IncompatibleSchemaError);
    expect(String((refusal as Error).message)).toMatch(/409|ncompatible/);

    // A registry holding an order record without total_minor: the catalog's, which requires it, is refused.
    const older = uniqueName('regcli');
    const olderTopics = topicNames(older);
    const withoutTotal = topicSchemas(olderTopics).find((t) => t.topic === olderTopics.raw.pos)!;
    const oldSchema = structuredClone(withoutTotal.schema) as { fields: { name: string; type: unknown }[] };
    const record = (oldSchema.fields.find((f) => f.name === 'order_completed')!.type as [string, { fields: { name: string }[] }])[1];
    record.fields = record.fields.filter((f) => f.name !== 'total_minor');
    await store.register(withoutTotal.subject, JSON.stringify(oldSchema));
    const run = await promisify(execFile)(process.execPath, ['bin/c360.js', 'schemas', 'check'], {
      env: { ...process.env, SCHEMA_REGISTRY_URL: registryUrl, C360_TOPIC_PREFIX: older, LOG_LEVEL: 'error' },
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, out: error.stdout }),
    );
    expect(run.code).toBe(1);
    expect(run.out).toMatch(new RegExp(`${withoutTotal.subject.replaceAll('.', '\\.')}\\s+incompatible`));
    expect(run.out).toMatch(/would be refused/);
  });
});
