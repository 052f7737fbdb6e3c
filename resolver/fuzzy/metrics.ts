/**
 * Quality of a clustering against the truth: pairwise precision, recall and F1 (over all pairs of
 * records put in one cluster) and B-cubed precision, recall and F1 (per record).
 */
export interface Quality {
  pairs: { truePositives: number; predicted: number; actual: number; precision: number; recall: number; f1: number };
  bcubed: { precision: number; recall: number; f1: number };
}

const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));
const pairsIn = (n: number) => (n * (n - 1)) / 2;

/** predicted and truth: a cluster label per record, in the same order. */
export function clusteringQuality(predicted: string[], truth: string[]): Quality {
  if (predicted.length !== truth.length) throw new Error('predicted and truth must label the same records');
  const count = (labels: string[]) => {
    const sizes = new Map<string, number>();
    for (const l of labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
    return sizes;
  };
  const predictedSizes = count(predicted);
  const truthSizes = count(truth);
  const joint = count(predicted.map((p, i) => `${p}\u0000${truth[i]}`));
  let tp = 0;
  for (const n of joint.values()) tp += pairsIn(n);
  let predictedPairs = 0;
  for (const n of predictedSizes.values()) predictedPairs += pairsIn(n);
  let actualPairs = 0;
  for (const n of truthSizes.values()) actualPairs += pairsIn(n);
  const precision = predictedPairs === 0 ? 1 : tp / predictedPairs;
  const recall = actualPairs === 0 ? 1 : tp / actualPairs;
  // B-cubed: per record, the share of its predicted cluster in its true cluster, and vice versa.
  let bp = 0;
  let br = 0;
  predicted.forEach((p, i) => {
    const both = joint.get(`${p}\u0000${truth[i]}`)!;
    bp += both / predictedSizes.get(p)!;
    br += both / truthSizes.get(truth[i]!)!;
  });
  const n = Math.max(1, predicted.length);
  return {
    pairs: { truePositives: tp, predicted: predictedPairs, actual: actualPairs, precision, recall, f1: f1(precision, recall) },
    bcubed: { precision: bp / n, recall: br / n, f1: f1(bp / n, br / n) },
  };
}
