/**
 * Avro in the Confluent wire format (magic byte 0, the 4-byte schema ID, the Avro body), with
 * the schemas of `schemas/` registered under "<topic>-value" in a schema store (a Schema
 * Registry server, Postgres, or memory: see schema-store.ts).
 *
 * Each consumer reads with its own schema (the one it was built with) and resolves the writer's
 * schema, found by the ID in the message, to it: a consumer on an older schema reads events
 * written with a newer, compatible one, and a newer consumer reads old events.
 */
import avro from 'avsc';
import { profileChangeSchema, rawEventSchema, resolvedEventSchema, segmentMembershipChangeSchema } from './catalog.ts';
import type { Topics } from './topics.ts';
import type { SchemaStore } from './schema-store.ts';

type Json = Record<string, unknown>;

export interface Codec {
  encode(topic: string, value: unknown): Buffer;
  decode<T>(topic: string, payload: Buffer): Promise<T>;
}

export interface TopicSchema {
  topic: string;
  subject: string;
  schema: Json;
}

/** Every topic of the pipeline with the value schema it carries. */
export function topicSchemas(topics: Topics): TopicSchema[] {
  const entries: { topic: string; schema: Json }[] = [
    ...Object.entries(topics.raw).map(([source, topic]) => ({ topic, schema: rawEventSchema(source) })),
    { topic: topics.resolved, schema: resolvedEventSchema() },
    { topic: topics.profileChanges, schema: profileChangeSchema() },
    { topic: topics.segmentChanges, schema: segmentMembershipChangeSchema() },
  ];
  return entries.map((e) => ({ ...e, subject: `${e.topic}-value` }));
}

const HEADER = 5;

export class DecodeError extends Error {}

export interface CodecOptions {
  store: SchemaStore;
  topics: Topics;
  /** The schemas this process writes and reads with; the catalog's by default. */
  schemas?: TopicSchema[];
  /** Register the schemas (the default); false for a reader that only resolves. */
  register?: boolean;
}

export async function createCodec(options: CodecOptions): Promise<Codec> {
  const { store } = options;
  const own = new Map<string, { id: number | null; type: avro.Type }>();
  for (const { topic, subject, schema } of options.schemas ?? topicSchemas(options.topics)) {
    const text = JSON.stringify(schema);
    const id = options.register === false ? null : await store.register(subject, text);
    own.set(topic, { id, type: avro.Type.forSchema(schema as avro.Schema) });
  }
  const writers = new Map<number, Promise<avro.Type>>();
  const resolvers = new Map<string, avro.Resolver>();

  const writerType = (id: number) => {
    let type = writers.get(id);
    if (!type) {
      type = store.schemaById(id).then((text) => avro.Type.forSchema(JSON.parse(text) as avro.Schema));
      type.catch(() => writers.delete(id));
      writers.set(id, type);
    }
    return type;
  };

  return {
    encode(topic, value) {
      const mine = own.get(topic);
      if (!mine || mine.id === null) throw new Error(`no schema registered for topic ${topic}`);
      const body = mine.type.toBuffer(value);
      const out = Buffer.allocUnsafe(HEADER + body.length);
      out[0] = 0;
      out.writeInt32BE(mine.id, 1);
      body.copy(out, HEADER);
      return out;
    },
    async decode<T>(topic: string, payload: Buffer) {
      const mine = own.get(topic);
      if (!mine) throw new DecodeError(`no schema for topic ${topic}`);
      if (payload.length < HEADER || payload[0] !== 0) throw new DecodeError('not in the Confluent wire format (magic byte 0 and schema ID)');
      const id = payload.readInt32BE(1);
      const body = payload.subarray(HEADER);
      const key = `${topic}:${id}`;
      // The writer's schema comes from the schema store: a store that cannot answer (down) throws
      // its own error, which is not a fault of the message.
      const writer = id === mine.id || resolvers.has(key) ? null : await writerType(id);
      try {
        if (id === mine.id) return mine.type.fromBuffer(body) as T;
        let resolver = resolvers.get(key);
        if (!resolver) {
          resolver = mine.type.createResolver(writer!);
          resolvers.set(key, resolver);
        }
        return mine.type.fromBuffer(body, resolver) as T;
      } catch (error) {
        throw new DecodeError(`schema ID ${id}: ${(error as Error).message}`);
      }
    },
  };
}
