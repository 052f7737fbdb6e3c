/**
 * A tenant's own junk identifier values (MISSION.md, merge safety: "a blocklist of junk
 * values"), on top of the built-in ones of resolver/normalize.ts: the store's placeholder email
 * typed for every walk-in, the shop's landline, a loyalty test card, a whole internal domain.
 * A blocked value is never an identifier, so never a merge key and never attached to a profile
 * (extractIdentifiers puts it in `rejected` with the reason 'blocklisted').
 *
 * Entries are stored normalized with the normalizers of identifiers (emails without provider
 * rules, phones in E.164 read with the tenant's region, IDs trimmed), so "+1 (415) 555-0100"
 * and "+14155550100" are one entry. Values are personal data in general: nothing here logs them,
 * and error messages name the entry by its index, never by its value.
 */
import type pg from 'pg';
import { SOURCES } from '../schemas/types.ts';
import { API_ORDER, IDENTIFIER_TYPES, type Identifier, type IdentifierType } from './identifier-types.ts';
import { normalizeEmail } from './normalize.ts';

export type BlocklistType = IdentifierType | 'email_domain';
/** The types an entry can have: the identifier types, and email_domain (after email) for every address of a domain. */
export const BLOCKLIST_TYPES: readonly BlocklistType[] = API_ORDER.flatMap((type): BlocklistType[] => (type === 'email' ? [type, 'email_domain'] : [type]));

/** At most this many entries per tenant. */
export const MAX_BLOCKLIST_ENTRIES = 10_000;
/** How long a process keeps a tenant's compiled blocklist before reading it again. */
export const BLOCKLIST_CACHE_MS = 10_000;
const MAX_VALUE_LENGTH = 320;
const MAX_REASON_LENGTH = 500;
const DOMAIN_SHAPE = /^[^\s@.]+(?:\.[^\s@.]+)*\.[^\s@.]{2,}$/u;
const ENTRY_FIELDS = new Set(['type', 'value', 'source', 'reason']);

/** One entry, normalized. */
export interface BlocklistEntry {
  type: BlocklistType;
  /** Normalized: an email, a domain without "@", a phone in E.164, an ID trimmed. */
  value: string;
  /** source_record_id only: the source system the ID belongs to; null for every source. */
  source: string | null;
  reason: string | null;
}

export interface StoredBlocklistEntry extends BlocklistEntry {
  added_at: string;
}

/** A refused entry: its index in the list (null for the list itself) and why. */
export interface BlocklistProblem {
  index: number | null;
  message: string;
}

export class BlocklistError extends Error {
  constructor(readonly problems: BlocklistProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'BlocklistError';
  }
}

/** A tenant's blocklist compiled for lookups. */
export interface Blocklist {
  /**
   * Exact values per identifier type. Emails are there as stored and with the provider rules
   * applied, so a tenant with provider rules on is covered too; source_record_id values are
   * keyed `source + "\u001f" + value`, with an empty source for every source.
   */
  readonly exact: ReadonlyMap<IdentifierType, ReadonlySet<string>>;
  /** Domains whose addresses (and those of their subdomains) are blocked. */
  readonly emailDomains: ReadonlySet<string>;
  readonly size: number;
}

export const EMPTY_BLOCKLIST: Blocklist = Object.freeze({ exact: new Map(), emailDomains: new Set<string>(), size: 0 });

const SEP = '\u001f';
const PER_SOURCE_TYPES = API_ORDER.filter((type) => IDENTIFIER_TYPES[type].perSource);

export function compileBlocklist(entries: readonly BlocklistEntry[]): Blocklist {
  const exact = new Map<IdentifierType, Set<string>>();
  const emailDomains = new Set<string>();
  const put = (type: IdentifierType, key: string) => {
    let set = exact.get(type);
    if (!set) exact.set(type, (set = new Set()));
    set.add(key);
  };
  for (const entry of entries) {
    if (entry.type === 'email_domain') {
      emailDomains.add(entry.value);
      continue;
    }
    put(entry.type, IDENTIFIER_TYPES[entry.type].perSource ? `${entry.source ?? ''}${SEP}${entry.value}` : entry.value);
    if (entry.type === 'email') {
      const withRules = normalizeEmail(entry.value, { providerRules: true, keepJunk: true });
      if ('value' in withRules) put('email', withRules.value);
    }
  }
  return { exact, emailDomains, size: entries.length };
}

/** Whether a normalized identifier is on the blocklist. */
export function isBlocked(blocklist: Blocklist, identifier: Identifier): boolean {
  if (blocklist.size === 0) return false;
  const set = blocklist.exact.get(identifier.type);
  if (IDENTIFIER_TYPES[identifier.type].perSource) {
    return set !== undefined && (set.has(`${identifier.source}${SEP}${identifier.value}`) || set.has(`${SEP}${identifier.value}`));
  }
  if (set?.has(identifier.value)) return true;
  if (identifier.type === 'email' && blocklist.emailDomains.size > 0) {
    // The domain and every parent domain: blocking acme-internal.test blocks mail.acme-internal.test too.
    let domain = identifier.value.slice(identifier.value.lastIndexOf('@') + 1);
    for (;;) {
      if (blocklist.emailDomains.has(domain)) return true;
      const dot = domain.indexOf('.');
      if (dot < 0) return false;
      domain = domain.slice(dot + 1);
    }
  }
  return false;
}

/** An email domain as stored: NFC, trimmed, lower-cased, without a leading "@" or a trailing dot. */
export function normalizeEmailDomain(raw: string): { value: string } | { rejected: string } {
  const value = raw.normalize('NFC').trim().toLowerCase().replace(/^@/, '').replace(/\.$/, '');
  if (value.length > 253 || !DOMAIN_SHAPE.test(value)) return { rejected: 'not an email domain (write it like "example.org" or "@example.org")' };
  return { value };
}

/**
 * Validates and normalizes a list of entries as sent to the API: `[{type, value, source?,
 * reason?}]`. Phones written without a country code are read in `region`. Every refused entry
 * is reported with its index and the reason, never with its value. Entries that normalize to
 * the same value are one entry (the last one's reason wins). Junk values the built-in rules
 * already refuse are accepted (they are blocked either way).
 */
export function parseBlocklistEntries(input: unknown, region: string): { entries: BlocklistEntry[] } | { problems: BlocklistProblem[] } {
  if (!Array.isArray(input)) return { problems: [{ index: null, message: 'entries must be a list of {"type", "value", "reason"}' }] };
  if (input.length > MAX_BLOCKLIST_ENTRIES) {
    return { problems: [{ index: null, message: `at most ${MAX_BLOCKLIST_ENTRIES} entries per tenant; got ${input.length}` }] };
  }
  const problems: BlocklistProblem[] = [];
  const byKey = new Map<string, BlocklistEntry>();
  input.forEach((item: unknown, index) => {
    const at = `entries[${index}]`;
    const refuse = (message: string) => problems.push({ index, message: `${at}${message}` });
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return refuse(': must be an object {"type", "value", "reason"}');
    const entry = item as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((k) => !ENTRY_FIELDS.has(k));
    if (unknown.length) return refuse(`: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`);
    const { type, value, source, reason } = entry;
    if (typeof type !== 'string' || !(BLOCKLIST_TYPES as readonly string[]).includes(type)) {
      const got = typeof type === 'string' ? `unknown type ${JSON.stringify(type.slice(0, 40))}` : 'type is missing';
      return refuse(`.type: ${got}; one of ${BLOCKLIST_TYPES.join(', ')}`);
    }
    if (typeof value !== 'string' || value.trim() === '') return refuse('.value: must be a non-empty string');
    if (value.length > MAX_VALUE_LENGTH) return refuse(`.value: longer than ${MAX_VALUE_LENGTH} characters`);
    if (value.includes('\u0000')) return refuse('.value: must not contain NUL characters');
    if (reason !== undefined && reason !== null && typeof reason !== 'string') return refuse('.reason: must be a string or null');
    if (typeof reason === 'string' && reason.length > MAX_REASON_LENGTH) return refuse(`.reason: longer than ${MAX_REASON_LENGTH} characters`);
    if (typeof reason === 'string' && reason.includes('\u0000')) return refuse('.reason: must not contain NUL characters');
    let entrySource: string | null = null;
    if (source !== undefined && source !== null) {
      if (!PER_SOURCE_TYPES.includes(type as IdentifierType)) return refuse(`.source: only entries of type ${PER_SOURCE_TYPES.join(' or ')} have a source`);
      if (typeof source !== 'string' || !(SOURCES as readonly string[]).includes(source)) return refuse(`.source: one of ${SOURCES.join(', ')}, or null for every source`);
      entrySource = source;
    }
    const normalized = normalizeEntryValue(type as BlocklistType, value, region);
    if ('rejected' in normalized) return refuse(`.value: ${normalized.rejected}`);
    const kept: BlocklistEntry = { type: type as BlocklistType, value: normalized.value, source: entrySource, reason: typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : null };
    const key = [kept.type, kept.source ?? '', kept.value].join(SEP);
    byKey.delete(key);
    byKey.set(key, kept);
  });
  return problems.length ? { problems } : { entries: [...byKey.values()] };
}

function normalizeEntryValue(type: BlocklistType, value: string, region: string): { value: string } | { rejected: string } {
  if (type === 'email_domain') return normalizeEmailDomain(value);
  const normalized = IDENTIFIER_TYPES[type].normalize(value, { region, keepJunk: true });
  if (!('rejected' in normalized)) return normalized;
  if (type === 'email' && (!value.includes('@') || value.trim().startsWith('@'))) {
    return { rejected: 'not an email address (for every address of a domain use type "email_domain")' };
  }
  if (type === 'phone') return { rejected: `${normalized.rejected} (numbers without a country code are read in region ${region})` };
  return normalized;
}

/** Something that gives a tenant's compiled blocklist: what the resolve step needs. */
export interface BlocklistSource {
  blocklistOf(tenantId: string): Promise<Blocklist>;
}

export interface BlocklistStore extends BlocklistSource {
  /** The tenant's entries as stored (normalized), ordered by type (as the API names it), source and value. */
  list(tenantId: string): Promise<StoredBlocklistEntry[]>;
  /** Adds entries (or updates the reason of existing ones); the whole list afterwards. Throws BlocklistError on bad input. */
  add(tenantId: string, entries: unknown, region: string): Promise<StoredBlocklistEntry[]>;
  /** Replaces the whole list (entries kept keep their added_at); the list afterwards. Throws BlocklistError on bad input. */
  replace(tenantId: string, entries: unknown, region: string): Promise<StoredBlocklistEntry[]>;
}

interface Row {
  type: IdentifierType;
  kind: 'exact' | 'email_domain';
  source: string;
  value: string;
  reason: string | null;
  added_at: Date;
}

const entryOfRow = (r: Row): StoredBlocklistEntry => ({
  type: r.kind === 'email_domain' ? 'email_domain' : r.type,
  value: r.value,
  source: r.source === '' ? null : r.source,
  reason: r.reason,
  added_at: r.added_at.toISOString(),
});

const columnsOf = (entries: BlocklistEntry[]) => ({
  types: entries.map((e) => (e.type === 'email_domain' ? 'email' : e.type)),
  kinds: entries.map((e) => (e.type === 'email_domain' ? 'email_domain' : 'exact')),
  sources: entries.map((e) => e.source ?? ''),
  values: entries.map((e) => e.value),
  reasons: entries.map((e) => e.reason),
});

/**
 * A database error without its detail: Postgres puts the failing row's values there ("Failing
 * row contains ..."), and errors are logged.
 */
function withoutValues(error: unknown): unknown {
  if (error instanceof BlocklistError || !(error instanceof Error)) return error;
  return Object.assign(new Error(`identifier blocklist: ${error.message}`), { code: (error as { code?: unknown }).code });
}

type Cache = Map<string, { blocklist: Promise<Blocklist>; loadedAt: number }>;

/**
 * The blocklists of all tenants in Postgres (table identifier_blocklist). `blocklistOf` keeps a
 * tenant's compiled list for `cacheMs` (10 s); a change through this store is seen at once, one
 * through another process within `cacheMs`. A process builds one store at start-up and hands it
 * to every user (the resolver stage and the blocklist routes), so they share its cache.
 */
export function createBlocklistStore(pool: pg.Pool, options: { cacheMs?: number } = {}): BlocklistStore {
  const cacheMs = options.cacheMs ?? BLOCKLIST_CACHE_MS;
  const tenantCache: Cache = new Map();

  async function list(client: pg.Pool | pg.PoolClient, tenantId: string): Promise<StoredBlocklistEntry[]> {
    const { rows } = await client.query<Row>(
      `SELECT type, kind, source, value, reason, added_at FROM identifier_blocklist WHERE tenant_id = $1
        ORDER BY CASE kind WHEN 'email_domain' THEN 'email_domain' ELSE type END, source, value`,
      [tenantId],
    );
    return rows.map(entryOfRow);
  }

  async function write(tenantId: string, input: unknown, region: string, replace: boolean): Promise<StoredBlocklistEntry[]> {
    const parsed = parseBlocklistEntries(input, region);
    if ('problems' in parsed) throw new BlocklistError(parsed.problems);
    const c = columnsOf(parsed.entries);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // One writer per tenant at a time, so the size check and a replace see a settled list.
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('identifier_blocklist:' || $1, 0))", [tenantId]);
      if (replace) {
        await client.query(
          `DELETE FROM identifier_blocklist b WHERE b.tenant_id = $1 AND NOT EXISTS (
             SELECT 1 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS n(type, kind, source, value)
              WHERE n.type = b.type AND n.kind = b.kind AND n.source = b.source AND n.value = b.value)`,
          [tenantId, c.types, c.kinds, c.sources, c.values],
        );
      }
      await client.query(
        `INSERT INTO identifier_blocklist (tenant_id, type, kind, source, value, reason)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         ON CONFLICT (tenant_id, type, kind, source, value) DO UPDATE SET reason = EXCLUDED.reason`,
        [tenantId, c.types, c.kinds, c.sources, c.values, c.reasons],
      );
      const entries = await list(client, tenantId);
      if (entries.length > MAX_BLOCKLIST_ENTRIES) {
        throw new BlocklistError([{ index: null, message: `at most ${MAX_BLOCKLIST_ENTRIES} entries per tenant; this would make ${entries.length}` }]);
      }
      await client.query('COMMIT');
      tenantCache.delete(tenantId);
      return entries;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw withoutValues(error);
    } finally {
      client.release();
    }
  }

  return {
    list: (tenantId) => list(pool, tenantId),
    add: (tenantId, entries, region) => write(tenantId, entries, region, false),
    replace: (tenantId, entries, region) => write(tenantId, entries, region, true),

    /** The tenant's compiled blocklist, cached for `cacheMs`; concurrent misses share one query. */
    blocklistOf(tenantId: string): Promise<Blocklist> {
      const hit = tenantCache.get(tenantId);
      if (hit && hit.loadedAt + cacheMs > Date.now()) return hit.blocklist;
      const blocklist = list(pool, tenantId).then((entries) => (entries.length ? compileBlocklist(entries) : EMPTY_BLOCKLIST));
      const slot = { blocklist, loadedAt: Date.now() };
      tenantCache.set(tenantId, slot);
      // A failed read is not kept: the next event asks again.
      blocklist.catch(() => {
        if (tenantCache.get(tenantId) === slot) tenantCache.delete(tenantId);
      });
      return blocklist;
    },
  };
}
