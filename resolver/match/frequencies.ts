/**
 * Term frequencies of a tenant's values, as Splink adjusts exact matches by them: two records
 * agreeing on "john" say little (many Johns), on "zebedee" much. Kept per field from the
 * tenant's own records and updated as they arrive; a match is scored against a snapshot taken
 * before its batch, so every record of a batch sees the same table whatever its order.
 */
import type { MatchRecord } from './record.ts';

export const TF_FIELDS = ['given', 'surname', 'fullName', 'city', 'postcode', 'emailDomain'] as const;
export type TfField = (typeof TF_FIELDS)[number];

/** The value of a term-frequency field of a record. */
export function tfValue(r: MatchRecord, field: TfField): string | null {
  if (field === 'fullName') return r.given && r.surname ? `${r.given}|${r.surname}` : null;
  return r[field];
}

export interface FrequencyTable {
  /** The share of the field's values equal to this one (at least a floor); null while too few are known to say. */
  frequency(field: TfField, value: string): number | null;
  /** The chance two random values of the field are equal (the sum of squared frequencies). */
  agreement(field: TfField): number;
}

export interface Frequencies extends FrequencyTable {
  add(record: MatchRecord): void;
  /** A frozen copy to score a batch against. */
  snapshot(): FrequencyTable;
  readonly records: number;
}

/** The least frequency a value is given: one in this many (a value seen once is rare, not impossible). */
const FLOOR_RECORDS = 100_000;

/** Values of a field needed before their frequencies say more than the model's u. */
const MIN_VALUES = 50;

/** A table over counts per field, their totals and the sums of their squares. */
function tableOf(counts: Map<string, number>[], totals: number[], squares: number[]): FrequencyTable {
  return {
    frequency(field, value) {
      const f = TF_FIELDS.indexOf(field);
      if (totals[f]! < MIN_VALUES) return null;
      // Counted as if the value were seen once more (the record being scored), so a value not yet
      // seen is as rare as one seen once.
      return Math.max(((counts[f]!.get(value) ?? 0) + 1) / (totals[f]! + 1), 1 / FLOOR_RECORDS);
    },
    agreement(field) {
      const f = TF_FIELDS.indexOf(field);
      const total = totals[f]!;
      return total === 0 ? 1 : Math.max(squares[f]! / (total * total), 1 / FLOOR_RECORDS);
    },
  };
}

export function createFrequencies(): Frequencies {
  const counts = TF_FIELDS.map(() => new Map<string, number>());
  const totals = TF_FIELDS.map(() => 0);
  const squares = TF_FIELDS.map(() => 0);
  let records = 0;
  const live = tableOf(counts, totals, squares);
  return {
    frequency: live.frequency,
    agreement: live.agreement,
    get records() {
      return records;
    },
    add(record) {
      records++;
      TF_FIELDS.forEach((field, f) => {
        const v = tfValue(record, field);
        if (v === null) return;
        const n = counts[f]!.get(v) ?? 0;
        counts[f]!.set(v, n + 1);
        squares[f]! += 2 * n + 1;
        totals[f]!++;
      });
    },
    snapshot() {
      return tableOf(counts.map((m) => new Map(m)), [...totals], [...squares]);
    },
  };
}

/** A table from counts of values per field (as a tenant's stored records give them). */
export function frequencyTableOf(counts: Partial<Record<TfField, Map<string, number>>>): FrequencyTable {
  const maps = TF_FIELDS.map((f) => counts[f] ?? new Map<string, number>());
  const totals = maps.map((m) => [...m.values()].reduce((x, y) => x + y, 0));
  const squares = maps.map((m) => [...m.values()].reduce((x, y) => x + y * y, 0));
  return tableOf(maps, totals, squares);
}

