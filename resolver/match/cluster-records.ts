/**
 * Records to entities, one record at a time, as the stream resolves them: each record is scored
 * against its candidate entities as wholes (entity-score.ts); it joins the best one whose weight
 * clears the link threshold and that nothing vetoes, else it starts an entity of its own (and a
 * probable match goes to review). When it clears the threshold for several entities, they merge
 * only if the entities themselves match (entity to entity, same threshold, no veto): one record
 * that looks like two people must not chain them together.
 */
import { createEntityIndex } from './entity-index.ts';
import { createFrequencies } from './frequencies.ts';
import { createScorer, estimateModel, linkWeight, matchProbability, reviewWeight, type EntityScore, type MatchModel } from './entity-score.ts';
import type { MatchRecord } from './record.ts';

export interface ClusterOptions {
  random: () => number;
  model?: MatchModel;
  /** Candidate entities scored per record. */
  candidates?: number;
  maxPerKey?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ClusterResult {
  /** An entity number per record. */
  entity: number[];
  /** The link probability of each record to its entity (1 for the first of an entity). */
  confidence: number[];
  model: MatchModel;
  candidates: number;
  links: number;
  merges: number;
  /** Records left apart: they matched several entities that did not match each other. */
  refusedMerges: number;
  reviews: { record: number; entity: number; score: EntityScore }[];
  closedKeys: number;
}

export function clusterRecords(records: readonly MatchRecord[], options: ClusterOptions): ClusterResult {
  // The frequencies and u of the whole set, so every record is scored the same whatever its place.
  const frequencies = createFrequencies();
  for (const r of records) frequencies.add(r);
  const model = options.model ?? estimateModel(records, options.random);
  const scorer = createScorer(model, frequencies);
  const index = createEntityIndex(options.maxPerKey ?? 200);
  const link = linkWeight(records.length);
  const review = reviewWeight(records.length);
  const limit = options.candidates ?? 40;
  const entityOf = new Array<number>(records.length);
  const confidence = new Array<number>(records.length).fill(1);
  const reviews: ClusterResult['reviews'] = [];
  let candidates = 0;
  let links = 0;
  let merges = 0;
  let refusedMerges = 0;

  options.onProgress?.(0, records.length);
  records.forEach((record, i) => {
    const found = index.candidates(record, limit);
    candidates += found.length;
    const scored = found
      .map((entity) => ({ entity, score: scorer.score(record, index.members(entity)) }))
      .sort((a, b) => b.score.weight - a.score.weight);
    const linking = scored.filter((s) => s.score.veto === null && s.score.weight >= link);
    // Several entities that do not match each other: the record could be either (a parent and
    // a child of one name, the record without a date of birth). It joins neither; a person decides.
    const ambiguous = linking.length > 1 && linking.slice(1).some((other) => {
      const together = scorer.scoreEntities(index.members(linking[0]!.entity), index.members(other.entity));
      return together.veto !== null || together.weight < link;
    });
    if (ambiguous) {
      entityOf[i] = index.create(record);
      reviews.push({ record: i, entity: linking[0]!.entity, score: linking[0]!.score });
      refusedMerges++;
    } else if (linking.length === 0) {
      entityOf[i] = index.create(record);
      const probable = scored.find((s) => s.score.weight >= review);
      if (probable) reviews.push({ record: i, entity: probable.entity, score: probable.score });
    } else {
      let entity = linking[0]!.entity;
      // Every other entity it clears matches the best one: they are one person.
      for (const other of linking.slice(1)) {
        entity = index.merge(entity, other.entity);
        merges++;
      }
      index.add(entity, record);
      entityOf[i] = entity;
      confidence[i] = matchProbability(linking[0]!.score.weight, records.length);
      links++;
    }
    if (options.onProgress && (i + 1) % 5000 === 0) options.onProgress(i + 1, records.length);
  });
  if (records.length % 5000 !== 0) options.onProgress?.(records.length, records.length);
  return {
    entity: entityOf.map((e) => index.find(e)),
    confidence,
    model,
    candidates,
    links,
    merges,
    refusedMerges,
    reviews,
    closedKeys: index.closedKeys,
  };
}
