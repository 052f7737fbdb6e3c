/**
 * Finding a customer as a person types (the console's search): by an identifier's exact value
 * (email, phone, auth user ID, anonymous ID, or a source record ID of any source), by the start
 * of an email, or by the start of the first and last name. Active profiles of one tenant only;
 * each answered once, exact matches first, with what matched.
 */
import type pg from 'pg';
import { IDENTIFIER_TYPES, IDENTIFIER_TYPE_NAMES, type IdentifierType } from './identifier-types.ts';

export interface SearchHit {
  customer360_id: string;
  matched: IdentifierType | 'email_prefix' | 'name';
}

export const MAX_SEARCH_RESULTS = 20;
/** The shortest text searched by prefix (a shorter one matches half the directory). */
const MIN_PREFIX = 2;

/** Upper bound of the values that start with a prefix (in the identifiers' order). */
const prefixEnd = (prefix: string) => `${prefix}\u{10FFFF}`;

export async function searchProfiles(pool: pg.Pool, tenantId: string, text: string, options: { region: string; providerRules: boolean; limit: number }): Promise<SearchHit[]> {
  const q = text.trim();
  if (q === '') return [];
  const exact: { type: IdentifierType; value: string }[] = [];
  for (const type of IDENTIFIER_TYPE_NAMES) {
    const normalized = IDENTIFIER_TYPES[type].normalize(q, { region: options.region, providerRules: options.providerRules });
    if ('value' in normalized) exact.push({ type, value: normalized.value });
  }
  const [first, ...rest] = q.toLowerCase().split(/\s+/).filter(Boolean);
  const last = rest.join(' ');
  const emailPrefix = q.toLowerCase();
  const { rows } = await pool.query<{ customer360_id: string; matched: SearchHit['matched']; rank: number }>(
    `WITH exact AS (
       SELECT i.customer360_id, i.type AS matched, 1 AS rank FROM identifiers i
         JOIN unnest($2::text[], $3::text[]) AS q(type, value) ON i.tenant_id = $1 AND i.type = q.type AND i.value = q.value
     ), email_prefix AS (
       SELECT customer360_id, 'email_prefix' AS matched, 2 AS rank FROM identifiers
        WHERE $4::text IS NOT NULL AND tenant_id = $1 AND type = 'email' AND source = '' AND value >= $4 AND value < $5
        ORDER BY value LIMIT $8
     ), by_name AS (
       SELECT customer360_id, 'name' AS matched, 3 AS rank FROM profiles
        WHERE $6::text IS NOT NULL AND tenant_id = $1 AND merged_into IS NULL AND deleted_at IS NULL
          AND ((lower(traits->'first_name'->>'value') LIKE $6 || '%' AND ($7::text IS NULL OR lower(traits->'last_name'->>'value') LIKE $7 || '%'))
               OR ($7::text IS NULL AND lower(traits->'last_name'->>'value') LIKE $6 || '%'))
        LIMIT $8
     )
     SELECT DISTINCT ON (p.customer360_id) p.customer360_id, h.matched, h.rank
       FROM (SELECT * FROM exact UNION ALL SELECT * FROM email_prefix UNION ALL SELECT * FROM by_name) h
       JOIN profiles p ON p.tenant_id = $1 AND p.customer360_id = h.customer360_id AND p.merged_into IS NULL AND p.deleted_at IS NULL
      ORDER BY p.customer360_id, h.rank`,
    [
      tenantId,
      exact.map((e) => e.type),
      exact.map((e) => e.value),
      emailPrefix.length >= MIN_PREFIX ? emailPrefix : null,
      prefixEnd(emailPrefix),
      first && first.length >= MIN_PREFIX ? likeText(first) : null,
      last ? likeText(last) : null,
      options.limit,
    ],
  );
  return rows.sort((a, b) => a.rank - b.rank).slice(0, options.limit).map((r) => ({ customer360_id: r.customer360_id, matched: r.matched }));
}

/** Text for LIKE, its wildcards taken literally. */
const likeText = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
