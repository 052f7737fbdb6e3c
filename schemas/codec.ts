/**
 * Avro in the Confluent wire format through the Schema Registry serde: a registry server when
 * SCHEMA_REGISTRY_URL is set, else the registry's in-process MockClient. Each topic's schema is
 * registered under the topic-name subject ("<topic>-value") at start-up, in a fixed order, so
 * schema IDs are the same on every start of the embedded mode.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AvroDeserializer,
  AvroSerializer,
  MockClient,
  SchemaRegistryClient,
  SerdeType,
  type Client,
} from '@confluentinc/schemaregistry';
import { topicSchemas, type Topics } from './topics.ts';

const schemaDir = path.dirname(fileURLToPath(import.meta.url));

export function readSchema(file: string): string {
  return fs.readFileSync(path.join(schemaDir, file), 'utf8');
}

export interface Codec {
  encode(topic: string, value: unknown): Promise<Buffer>;
  decode<T>(topic: string, payload: Buffer): Promise<T>;
}

export function createRegistryClient(url: string): Client {
  return url ? new SchemaRegistryClient({ baseURLs: [url], maxRetries: 5 }) : new MockClient({ baseURLs: ['mock://'] });
}

export async function createCodec(options: { registry: Client; topics: Topics }): Promise<Codec> {
  const { registry } = options;
  for (const { topic, schemaFile } of topicSchemas(options.topics)) {
    await registry.register(`${topic}-value`, { schemaType: 'AVRO', schema: readSchema(schemaFile) }, false);
  }
  const serializer = new AvroSerializer(registry, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false });
  const deserializer = new AvroDeserializer(registry, SerdeType.VALUE, {});
  return {
    encode: (topic, value) => serializer.serialize(topic, value),
    decode: async <T>(topic: string, payload: Buffer) => (await deserializer.deserialize(topic, payload)) as T,
  };
}
