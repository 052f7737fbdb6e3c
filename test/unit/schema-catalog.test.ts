import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { EVENT_CATALOG, SOURCE_SYMBOLS, readSchemaFile } from '../../schemas/catalog.ts';
import { topicSchemas } from '../../schemas/codec.ts';
import { topicNames } from '../../schemas/topics.ts';
import { generateTypes, generatedFile } from '../../schemas/generate-types.ts';
import { docsFile, generateDocs } from '../../schemas/generate-docs.ts';
import { backwardProblems, fingerprint } from '../../schemas/schema-store.ts';

type Json = Record<string, any>;

/** Every record field of a schema, with the path to it. */
function fieldsOf(schema: unknown, at: string, out: { at: string; field: Json }[] = []) {
  if (Array.isArray(schema)) schema.forEach((s) => fieldsOf(s, at, out));
  else if (schema && typeof schema === 'object') {
    const node = schema as Json;
    if (node.type === 'record') for (const f of node.fields) {
      out.push({ at: `${at}.${f.name}`, field: f });
      fieldsOf(f.type, `${at}.${f.name}`, out);
    }
    if (node.type === 'array') fieldsOf(node.items, at, out);
    if (node.type === 'map') fieldsOf(node.values, at, out);
  }
  return out;
}

describe('the event catalog and topic schemas', () => {
  const topics = topicNames('c360');

  it('gives every field of every schema a doc', () => {
    const undocumented = topicSchemas(topics)
      .flatMap((t) => fieldsOf(t.schema, t.topic))
      .filter(({ field }) => typeof field.doc !== 'string' || field.doc.length < 3)
      .map(({ at }) => at);
    expect(undocumented).toEqual([]);
  });

  it('parses each topic schema with Avro, each catalogued type of a source once', () => {
    for (const t of topicSchemas(topics)) expect(() => avro.Type.forSchema(t.schema as avro.Schema)).not.toThrow();
    const pos = topicSchemas(topics).find((t) => t.topic === topics.raw.pos)!.schema as Json;
    const typed = pos.fields.map((f: Json) => f.name).filter((n: string) => EVENT_CATALOG.some((e) => e.type === n));
    expect(typed).toEqual(['order_completed', 'order_refunded']);
    expect(SOURCE_SYMBOLS).toEqual(['crm', 'pos', 'web', 'messaging']);
  });

  it('has an .avsc file for every catalogued type, and every .avsc is in the catalog', () => {
    const dir = path.resolve(path.dirname(generatedFile), 'events');
    const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.avsc')).sort();
    expect([...new Set(EVENT_CATALOG.map((e) => e.file))].sort()).toEqual(files);
    for (const f of files) expect(readSchemaFile(path.join('events', f)).type).toBe('record');
  });

  it('keeps schemas/generated.ts in step with the .avsc files (run `c360 schemas types`)', () => {
    expect(fs.readFileSync(generatedFile, 'utf8')).toBe(generateTypes());
  });

  it('keeps docs/events.md in step with the .avsc files (run `c360 schemas docs`)', () => {
    expect(fs.readFileSync(docsFile, 'utf8')).toBe(generateDocs());
  });

  it('finds BACKWARD problems by Avro resolution, and fingerprints ignore spacing', () => {
    const v1 = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] };
    const added = { ...v1, fields: [...v1.fields, { name: 'b', type: ['null', 'string'], default: null }] };
    const required = { ...v1, fields: [...v1.fields, { name: 'b', type: 'string' }] };
    expect(backwardProblems(JSON.stringify(added), JSON.stringify(v1))).toEqual([]);
    expect(backwardProblems(JSON.stringify(required), JSON.stringify(v1))[0]).toMatch(/R\.b|default/);
    expect(fingerprint(JSON.stringify(v1))).toBe(fingerprint(JSON.stringify(v1, null, 2)));
  });
});
