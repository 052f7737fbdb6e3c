import { describe, expect, it } from 'vitest';
import { clusteringQuality } from '../../resolver/fuzzy/metrics.ts';
import { personRecord } from '../../resolver/fuzzy/person.ts';

describe('person records', () => {
  it('normalizes case, accents and punctuation', () => {
    expect(personRecord('x', { given: '  Chloé ', surname: "O'Brien", postcode: '94 601' })).toMatchObject({ given: 'chloe', surname: 'o brien', postcode: '94601' });
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
