/**
 * Erased people stay erased: their identifiers and event IDs are kept as SHA-256 digests
 * (erasure_suppressions, written by an erasure: warehouse/privacy.ts), and the resolver drops an
 * event that carries one of them, so a replay of old events cannot bring the person back.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

export const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');
/** The digest of a normalized identifier (its type is kept beside it, as the kind). */
export const identifierDigest = (i: { source: string; value: string }) => digestOf(`${i.source}\u001f${i.value}`);

/**
 * Which events of a batch belong to an erased person: one of their identifiers or their event
 * ID is suppressed. The resolver drops them instead of bringing the person back.
 */
export async function suppressedEvents(pool: pg.Pool, items: { event: { tenant_id: string; event_id: string }; identifiers: { type: string; source: string; value: string }[] }[]): Promise<Set<number>> {
  const keys: [string, string, string][] = [];
  items.forEach(({ event, identifiers }) => {
    keys.push([event.tenant_id, 'event', digestOf(event.event_id)]);
    for (const i of identifiers) keys.push([event.tenant_id, i.type, identifierDigest(i)]);
  });
  if (keys.length === 0) return new Set();
  const { rows } = await pool.query<{ tenant_id: string; kind: string; digest: string }>(
    `SELECT s.tenant_id, s.kind, s.digest FROM erasure_suppressions s
       JOIN unnest($1::text[], $2::text[], $3::text[]) AS q(t, k, d) ON s.tenant_id = q.t AND s.kind = q.k AND s.digest = q.d`,
    [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
  );
  if (rows.length === 0) return new Set();
  const hit = new Set(rows.map((r) => `${r.tenant_id}\u001f${r.kind}\u001f${r.digest}`));
  const out = new Set<number>();
  items.forEach(({ event, identifiers }, n) => {
    const mine = [['event', digestOf(event.event_id)], ...identifiers.map((i) => [i.type, identifierDigest(i)])];
    if (mine.some(([k, d]) => hit.has(`${event.tenant_id}\u001f${k}\u001f${d}`))) out.add(n);
  });
  return out;
}
