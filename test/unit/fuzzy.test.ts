import { describe, expect, it } from 'vitest';
import { COMPARISONS, comparisonVector } from '../../resolver/fuzzy/compare.ts';
import { blockingKeys, candidatePairs } from '../../resolver/fuzzy/blocking.ts';
import { defaultModel, scorePair, weights } from '../../resolver/fuzzy/model.ts';
import { clusteringQuality } from '../../resolver/fuzzy/metrics.ts';
import { personRecord } from '../../resolver/fuzzy/person.ts';

const ann = personRecord('a', { given: 'Ann', surname: 'Smith', dob: '1980-04-12', streetNumber: '7', street: 'Wallaby Place', city: 'Oakland', postcode: '94601', region: 'CA', sourceId: '1804974' });
const level = (name: string, a: ReturnType<typeof personRecord>, b: ReturnType<typeof personRecord>) => {
  const i = COMPARISONS.findIndex((c) => c.name === name);
  return COMPARISONS[i]!.levels[comparisonVector(a, b)[i]!] ?? 'missing';
};

describe('comparisons', () => {
  it('grade names, dates of birth and IDs from exact to different', () => {
    const typo = personRecord('b', { given: 'Anne', surname: 'Smyth', dob: '19800421', sourceId: '1804975', city: 'Oaklnd' });
    expect(level('given_name', ann, ann)).toBe('exact');
    expect(level('given_name', ann, typo)).toBe('jw>=0.94');
    expect(level('surname', ann, typo)).toBe('jw>=0.88');
    expect(level('date_of_birth', ann, typo)).toBe('transposed');
    expect(level('source_id', ann, typo)).toBe('one edit');
    expect(level('street', ann, typo)).toBe('missing');
    const swapped = personRecord('c', { given: 'Smith', surname: 'Ann' });
    expect(level('given_name', ann, swapped)).toBe('swapped with the other name');
    expect(level('date_of_birth', ann, personRecord('d', { dob: '19801231' }))).toBe('same year');
  });

  it('normalizes case, accents and punctuation before comparing', () => {
    expect(personRecord('x', { given: '  Chloé ', surname: "O'Brien", postcode: '94 601' })).toMatchObject({ given: 'chloe', surname: 'o brien', postcode: '94601' });
  });
});

describe('model', () => {
  it('weighs agreement up and disagreement down, with every contribution explained', () => {
    const w = weights(defaultModel());
    for (const levels of w) {
      expect(levels[0]).toBeGreaterThan(0);
      expect(levels.at(-1)).toBeLessThan(0);
    }
    const same = scorePair(defaultModel(), ann, personRecord('b', { given: 'ann', surname: 'smith', dob: '19800412', postcode: '94601' }));
    const other = scorePair(defaultModel(), ann, personRecord('c', { given: 'bob', surname: 'jones', dob: '19710101', postcode: '10001' }));
    expect(same.probability).toBeGreaterThan(0.99);
    expect(other.probability).toBeLessThan(0.01);
    expect(same.contributions.map((c) => c.comparison)).toEqual(['given_name', 'surname', 'date_of_birth', 'postcode']);
  });
});

describe('blocking', () => {
  it('makes records with swapped names or one shared ID candidates, and not strangers', () => {
    const records = [
      ann,
      personRecord('swap', { given: 'Smith', surname: 'Ann' }),
      personRecord('id', { sourceId: '1804974' }),
      personRecord('stranger', { given: 'Zed', surname: 'Quill', dob: '19990101' }),
    ];
    expect(blockingKeys(records[1]!).some((k) => blockingKeys(ann).includes(k))).toBe(true);
    expect(candidatePairs(records)).toEqual(expect.arrayContaining([[0, 1], [0, 2]]));
    expect(candidatePairs(records).some(([i, j]) => i === 3 || j === 3)).toBe(false);
  });
});

describe('clustering quality', () => {
  it('computes pairwise and B-cubed figures by hand-checked cases', () => {
    // Truth: {1,2,3} {4}; predicted: {1,2} {3,4}.
    const q = clusteringQuality(['x', 'x', 'y', 'y'], ['a', 'a', 'a', 'b']);
    expect(q.pairs).toMatchObject({ truePositives: 1, predicted: 2, actual: 3, precision: 0.5 });
    expect(q.pairs.recall).toBeCloseTo(1 / 3);
    // B-cubed precision: (1 + 1 + 1/2 + 1/2) / 4; recall: (2/3 + 2/3 + 1/3 + 1) / 4.
    expect(q.bcubed.precision).toBeCloseTo(0.75);
    expect(q.bcubed.recall).toBeCloseTo((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4);
    expect(clusteringQuality(['p', 'q'], ['a', 'b']).pairs).toMatchObject({ precision: 1, recall: 1 });
  });
});
