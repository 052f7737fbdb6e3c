/**
 * Where topic schemas are registered, versioned and looked up by ID, under the topic-name
 * subject strategy ("<topic>-value") with BACKWARD compatibility: a new version must be able to
 * read everything written with the previous one.
 *
 * - A Schema Registry server (SCHEMA_REGISTRY_URL): the server stores the versions and enforces
 *   compatibility; subjects it has not seen are created with compatibility BACKWARD.
 * - Postgres (embedded mode, or any process with DATABASE_URL and no registry server): the
 *   `schema_versions` table, compatibility checked here with Avro schema resolution.
 * - In memory, for a process with neither (each process registers the same schemas in the same
 *   order, so IDs agree across processes).
 */
import { createHash } from 'node:crypto';
import avro from 'avsc';
import type pg from 'pg';
import { Compatibility, SchemaRegistryClient } from '@confluentinc/schemaregistry';

export type SchemaCheckStatus = 'new' | 'unchanged' | 'compatible' | 'incompatible';

export interface SchemaCheck {
  subject: string;
  status: SchemaCheckStatus;
  /** Latest registered version, null for a new subject. */
  latestVersion: number | null;
  /** Why a change is incompatible. */
  reasons: string[];
}

export interface SchemaStore {
  readonly kind: 'registry' | 'postgres' | 'memory';
  /** What registering this schema would do, without registering it. */
  check(subject: string, schema: string): Promise<SchemaCheck>;
  /** Registers the schema (a no-op when already registered) and returns its ID; an incompatible change is refused. */
  register(subject: string, schema: string): Promise<number>;
  /** The schema of an ID, for decoding messages written with it. */
  schemaById(id: number): Promise<string>;
}

export class IncompatibleSchemaError extends Error {
  constructor(readonly check: SchemaCheck) {
    super(`the new schema of ${check.subject} is not BACKWARD compatible with version ${check.latestVersion}: ${check.reasons.join('; ')}`);
  }
}

/** Canonical text of a schema: the same for the same schema whatever the spacing. */
export function fingerprint(schema: string): string {
  const canonical = JSON.stringify(avro.Type.forSchema(JSON.parse(schema)).schema());
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Reasons the new schema cannot read data written with the old one (BACKWARD), found by Avro
 * schema resolution; empty when it can.
 */
export function backwardProblems(newSchema: string, oldSchema: string): string[] {
  try {
    const reader = avro.Type.forSchema(JSON.parse(newSchema));
    const writer = avro.Type.forSchema(JSON.parse(oldSchema));
    reader.createResolver(writer);
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

interface StoredVersion {
  id: number;
  version: number;
  schema: string;
  fingerprint: string;
}

function decide(subject: string, schema: string, versions: StoredVersion[]): SchemaCheck {
  const latest = versions.at(-1);
  if (!latest) return { subject, status: 'new', latestVersion: null, reasons: [] };
  if (versions.some((v) => v.fingerprint === fingerprint(schema))) {
    return { subject, status: 'unchanged', latestVersion: latest.version, reasons: [] };
  }
  const reasons = backwardProblems(schema, latest.schema);
  return { subject, status: reasons.length ? 'incompatible' : 'compatible', latestVersion: latest.version, reasons };
}

export function memorySchemaStore(): SchemaStore {
  const bySubject = new Map<string, StoredVersion[]>();
  const byId = new Map<number, string>();
  let nextId = 1;
  const store: SchemaStore = {
    kind: 'memory',
    async check(subject, schema) {
      return decide(subject, schema, bySubject.get(subject) ?? []);
    },
    async register(subject, schema) {
      const versions = bySubject.get(subject) ?? [];
      const check = decide(subject, schema, versions);
      if (check.status === 'incompatible') throw new IncompatibleSchemaError(check);
      const print = fingerprint(schema);
      const existing = versions.find((v) => v.fingerprint === print);
      if (existing) return existing.id;
      const id = nextId++;
      versions.push({ id, version: versions.length + 1, schema, fingerprint: print });
      bySubject.set(subject, versions);
      byId.set(id, schema);
      return id;
    },
    async schemaById(id) {
      const schema = byId.get(id);
      if (schema === undefined) throw new Error(`unknown schema ID ${id}`);
      return schema;
    },
  };
  return store;
}

export function postgresSchemaStore(pool: pg.Pool): SchemaStore {
  const versionsOf = async (client: pg.Pool | pg.PoolClient, subject: string) =>
    (
      await client.query<StoredVersion>(
        'SELECT id, version, schema, fingerprint FROM schema_versions WHERE subject = $1 ORDER BY version',
        [subject],
      )
    ).rows;
  return {
    kind: 'postgres',
    async check(subject, schema) {
      return decide(subject, schema, await versionsOf(pool, subject));
    },
    async register(subject, schema) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`schema:${subject}`]);
        const versions = await versionsOf(client, subject);
        const check = decide(subject, schema, versions);
        if (check.status === 'incompatible') throw new IncompatibleSchemaError(check);
        const print = fingerprint(schema);
        const existing = versions.find((v) => v.fingerprint === print);
        const id = existing
          ? existing.id
          : (
              await client.query<{ id: number }>(
                'INSERT INTO schema_versions (subject, version, schema, fingerprint) VALUES ($1, $2, $3, $4) RETURNING id',
                [subject, versions.length + 1, schema, print],
              )
            ).rows[0]!.id;
        await client.query('COMMIT');
        return id;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async schemaById(id) {
      const { rows } = await pool.query<{ schema: string }>('SELECT schema FROM schema_versions WHERE id = $1', [id]);
      if (!rows[0]) throw new Error(`unknown schema ID ${id}`);
      return rows[0].schema;
    },
  };
}

const isNotFound = (error: unknown) => (error as { status?: number }).status === 404;

export function registrySchemaStore(url: string): SchemaStore {
  const client = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 5 });
  const info = (schema: string) => ({ schemaType: 'AVRO', schema });
  const latest = async (subject: string) => {
    try {
      return (await client.getLatestSchemaMetadata(subject)).version ?? null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  };
  return {
    kind: 'registry',
    async check(subject, schema) {
      const latestVersion = await latest(subject);
      if (latestVersion === null) return { subject, status: 'new', latestVersion, reasons: [] };
      try {
        await client.getId(subject, info(schema), false);
        return { subject, status: 'unchanged', latestVersion, reasons: [] };
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const compatible = await client.testSubjectCompatibility(subject, info(schema));
      return {
        subject,
        status: compatible ? 'compatible' : 'incompatible',
        latestVersion,
        reasons: compatible ? [] : ['the registry refuses it under the compatibility level of the subject'],
      };
    },
    async register(subject, schema) {
      if ((await latest(subject)) === null) await client.updateCompatibility(subject, Compatibility.BACKWARD);
      try {
        return await client.register(subject, info(schema), false);
      } catch (error) {
        if ((error as { status?: number }).status === 409) {
          throw new IncompatibleSchemaError({ subject, status: 'incompatible', latestVersion: await latest(subject), reasons: [(error as Error).message] });
        }
        throw error;
      }
    },
    async schemaById(id) {
      return (await client.getBySubjectAndId('', id)).schema;
    },
  };
}

/** The registry server when there is one, else Postgres when this process has it, else memory. */
export function schemaStoreFor(registryUrl: string, pool: pg.Pool | null): SchemaStore {
  if (registryUrl) return registrySchemaStore(registryUrl);
  return pool ? postgresSchemaStore(pool) : memorySchemaStore();
}
