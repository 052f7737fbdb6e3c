/**
 * Survivorship: which value of each profile field survives when linked records disagree. Every
 * distinct value seen for a field is kept (the latest 20), with where it came from, when it was
 * first and last seen and how often; a rule per field, set per tenant, picks the survivor:
 *
 * - most_recent (the default): the value seen last (by the event's occurred_at);
 * - first_non_empty: the value seen first;
 * - most_frequent: the value seen most often (ties: the most recent);
 * - source_priority: the value from the first source of the list that has one (ties and
 *   sources not listed: the most recent).
 *
 * Empty values are never candidates.
 */
export type SurvivorshipRule =
  | { rule: 'most_recent' }
  | { rule: 'first_non_empty' }
  | { rule: 'most_frequent' }
  | { rule: 'source_priority'; sources: string[] };

export const RULE_NAMES = ['most_recent', 'first_non_empty', 'most_frequent', 'source_priority'] as const;

export interface TraitCandidate {
  value: string;
  source: string;
  first_at: number;
  last_at: number;
  count: number;
  /** Order of arrival, for ties. */
  seq: number;
}

export type TraitHistory = Record<string, TraitCandidate[]>;

/** A field's value as the profile holds it. */
export interface SurvivedValue {
  value: string;
  at: number;
  source: string;
}

const KEEP = 20;

/**
 * Field names are the senders' (a trait named "constructor" is a field like any other): maps
 * keyed by them have no prototype, and are read only for their own fields.
 */
const fieldMap = <T>(from?: Record<string, T>): Record<string, T> => Object.assign(Object.create(null) as Record<string, T>, from);
const own = <T>(map: Record<string, T>, field: string): T | undefined => (Object.hasOwn(map, field) ? map[field] : undefined);

function add(list: TraitCandidate[], c: Omit<TraitCandidate, 'seq'>, seq: number): TraitCandidate[] {
  const out = list.map((x) => ({ ...x }));
  const same = out.find((x) => x.value === c.value && x.source === c.source);
  if (same) {
    same.first_at = Math.min(same.first_at, c.first_at);
    same.last_at = Math.max(same.last_at, c.last_at);
    same.count += c.count;
    same.seq = Math.max(same.seq, seq);
  } else {
    out.push({ ...c, seq });
  }
  return out.sort((a, b) => b.last_at - a.last_at || b.seq - a.seq).slice(0, KEEP);
}

const nextSeq = (history: TraitHistory) => 1 + Math.max(0, ...Object.values(history).flat().map((c) => c.seq));

/** The history with an event's values added. */
export function recordValues(history: TraitHistory, values: Record<string, SurvivedValue>): TraitHistory {
  const out: TraitHistory = fieldMap(history);
  const seq = nextSeq(history);
  for (const [field, v] of Object.entries(values)) {
    if (v.value === '') continue;
    out[field] = add(own(out, field) ?? [], { value: v.value, source: v.source, first_at: v.at, last_at: v.at, count: 1 }, seq);
  }
  return out;
}

/** Two profiles' histories as one (a merge). */
export function mergeHistories(a: TraitHistory, b: TraitHistory): TraitHistory {
  const out: TraitHistory = fieldMap(a);
  let seq = nextSeq(a);
  for (const [field, list] of Object.entries(b)) {
    for (const c of [...list].sort((x, y) => x.seq - y.seq)) out[field] = add(own(out, field) ?? [], c, seq++);
  }
  return out;
}

/**
 * A history without what another contributed (a split: the survivor gives back what the merged
 * profile brought). Each value's count goes down by the other's; a value nobody else saw goes.
 */
export function subtractHistory(history: TraitHistory, contributed: TraitHistory): TraitHistory {
  const out: TraitHistory = fieldMap();
  for (const [field, list] of Object.entries(history)) {
    const theirs = own(contributed, field) ?? [];
    const kept = list
      .map((c) => {
        const given = theirs.find((x) => x.value === c.value && x.source === c.source);
        return given ? { ...c, count: c.count - given.count } : { ...c };
      })
      .filter((c) => c.count > 0);
    if (kept.length) out[field] = kept;
  }
  return out;
}

/** A history for a profile that predates histories: its survived values, seen once. */
export function historyOf(values: Record<string, SurvivedValue>): TraitHistory {
  return recordValues({}, values);
}

function pick(list: TraitCandidate[], rule: SurvivorshipRule): TraitCandidate | undefined {
  const recent = (a: TraitCandidate, b: TraitCandidate) => b.last_at - a.last_at || b.seq - a.seq;
  const sorted = [...list];
  switch (rule.rule) {
    case 'most_recent':
      return sorted.sort(recent)[0];
    case 'first_non_empty':
      return sorted.sort((a, b) => a.first_at - b.first_at || a.seq - b.seq)[0];
    case 'most_frequent': {
      // Counts per value across sources.
      const totals = new Map<string, number>();
      for (const c of list) totals.set(c.value, (totals.get(c.value) ?? 0) + c.count);
      return sorted.sort((a, b) => totals.get(b.value)! - totals.get(a.value)! || recent(a, b))[0];
    }
    case 'source_priority': {
      const rank = (c: TraitCandidate) => {
        const i = rule.sources.indexOf(c.source);
        return i === -1 ? rule.sources.length : i;
      };
      return sorted.sort((a, b) => rank(a) - rank(b) || recent(a, b))[0];
    }
  }
}

/** The surviving value of every field, by the field's rule (most_recent when it has none). */
export function survive(history: TraitHistory, rules: Record<string, SurvivorshipRule> = {}): Record<string, SurvivedValue> {
  const out: Record<string, SurvivedValue> = fieldMap();
  for (const [field, list] of Object.entries(history)) {
    const c = pick(list, own(rules, field) ?? { rule: 'most_recent' });
    if (c) out[field] = { value: c.value, at: c.last_at, source: c.source };
  }
  return out;
}

/** Checks rules sent by a person; the reason when they are not valid. */
export function parseRules(input: unknown, sources: readonly string[]): Record<string, SurvivorshipRule> | { error: string } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { error: 'send {"field": {"rule": "...", "sources": [...]}}' };
  const out: Record<string, SurvivorshipRule> = fieldMap();
  for (const [field, raw] of Object.entries(input as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9_]{1,64}$/.test(field)) return { error: `field "${field.slice(0, 64)}" may hold only letters, digits and _` };
    const r = raw as { rule?: unknown; sources?: unknown };
    if (!r || typeof r !== 'object' || !RULE_NAMES.includes(r.rule as never)) return { error: `${field}: rule must be one of ${RULE_NAMES.join(', ')}` };
    if (r.rule === 'source_priority') {
      if (!Array.isArray(r.sources) || r.sources.length === 0 || !r.sources.every((s) => sources.includes(s as string))) {
        return { error: `${field}: source_priority needs "sources", a list of ${sources.join(', ')}` };
      }
      out[field] = { rule: 'source_priority', sources: r.sources as string[] };
    } else {
      out[field] = { rule: r.rule as Exclude<SurvivorshipRule['rule'], 'source_priority'> };
    }
  }
  return out;
}
