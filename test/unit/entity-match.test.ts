/**
 * The entity matcher's pure core: records scored against entities as wholes, term-frequency
 * adjusted names, vetoes for household members, layouts that do not change the answer, merges
 * that need entity-to-entity evidence, and blocking that stays bounded without dropping anyone.
 */
import { describe, expect, it } from 'vitest';
import talismanJaroWinkler from 'talisman/metrics/jaro-winkler.js';
import { personRecord } from '../../resolver/fuzzy/person.ts';
import { matchRecord, type MatchRecord } from '../../resolver/match/record.ts';
import { createFrequencies } from '../../resolver/match/frequencies.ts';
import { createScorer, estimateModel, linkWeight } from '../../resolver/match/entity-score.ts';
import { createEntityIndex, entityKeys } from '../../resolver/match/entity-index.ts';
import { clusterRecords } from '../../resolver/match/cluster-records.ts';
import { jaroWinkler, jaroWinklerBound } from '../../resolver/match/comparisons.ts';
import { seededRandom } from '../../platform/random.ts';

let seq = 0;
const rec = (fields: Parameters<typeof personRecord>[1]) => matchRecord(personRecord(`r${seq++}`, fields));

/** A population where "john smith" is common and "zebedee quist" is not. */
function population(): MatchRecord[] {
  const out: MatchRecord[] = [];
  for (let i = 0; i < 300; i++) out.push(rec({ given: 'john', surname: 'smith', dob: `19${50 + (i % 40)}0${1 + (i % 9)}1${i % 10}`, city: `town${i % 30}` }));
  for (let i = 0; i < 300; i++) out.push(rec({ given: `given${i}`, surname: `surname${i}`, dob: `19700101`, city: `town${i % 30}` }));
  out.push(rec({ given: 'zebedee', surname: 'quist', city: 'town1' }));
  return out;
}

describe('entity matching', () => {
  const people = population();
  const frequencies = createFrequencies();
  for (const r of people) frequencies.add(r);
  const scorer = createScorer(estimateModel(people, seededRandom(3)), frequencies);

  it('weighs an exact match on a rare name far above one on a common name', () => {
    const common = scorer.score(rec({ given: 'john', surname: 'smith', city: 'town1' }), [rec({ given: 'john', surname: 'smith', city: 'town1' })]);
    const rare = scorer.score(rec({ given: 'zebedee', surname: 'quist', city: 'town1' }), [rec({ given: 'zebedee', surname: 'quist', city: 'town1' })]);
    const name = (s: typeof common, c: string) => s.contributions.find((x) => x.comparison === c)!.weight;
    expect(name(rare, 'given_name')).toBeGreaterThan(name(common, 'given_name') + 5);
    expect(name(rare, 'surname')).toBeGreaterThan(name(common, 'surname') + 5);
  });

  it('scores a record against the best member of an entity: nickname, old and new address', () => {
    const entity = [
      rec({ given: 'robert', surname: 'quist', dob: '19800312', street: '7 wallaby place', postcode: '2119' }),
      rec({ given: 'bob', surname: 'quist', dob: '19800312', street: '12 acacia road', postcode: '2600' }),
    ];
    const record = rec({ given: 'robert', surname: 'quist', dob: '19800312', street: '12 acacia road', postcode: '2600' });
    const score = scorer.score(record, entity);
    expect(score.veto).toBeNull();
    expect(score.contributions.find((c) => c.comparison === 'address')!.level).toBe('same house');
    expect(score.weight).toBeGreaterThan(scorer.score(record, [entity[0]!]).weight);
  });

  it('reads one street column and number + street alike', () => {
    const one = rec({ given: 'ann', surname: 'lee', street: '7 wallaby place', city: 'delmar' });
    const two = rec({ given: 'ann', surname: 'lee', streetNumber: '7', street: 'wallaby place', city: 'delmar' });
    expect(one.streetNumber).toBe('7');
    expect(one.street).toBe('wallaby place');
    expect(scorer.score(one, [two]).contributions.find((c) => c.comparison === 'address')!.level).toBe('same house');
  });

  it('vetoes twins (different given names) and a parent and child (dates of birth decades apart)', () => {
    const home = { surname: 'quist', street: '7 wallaby place', postcode: '2119', phone: '+12125550100' };
    const twin = scorer.score(rec({ given: 'olivia', dob: '19900101', ...home }), [rec({ given: 'connor', dob: '19900101', ...home })]);
    expect(twin.veto).toBe('different given names');
    const junior = scorer.score(rec({ given: 'zebedee', dob: '19920101', ...home }), [rec({ given: 'zebedee', dob: '19650101', ...home })]);
    expect(junior.veto).toBe('dates of birth more than ten years apart');
    // A national ID that agrees overrides both.
    const same = scorer.score(rec({ given: 'olivia', dob: '19900101', sourceId: '1234567', ...home }), [rec({ given: 'connor', dob: '19900101', sourceId: '1234567', ...home })]);
    expect(same.veto).toBeNull();
  });

  it('reads no evidence in email local parts that only spell the names, and sees two inboxes in two spellings at one provider', () => {
    const level = (a: MatchRecord, b: MatchRecord) => scorer.score(a, [b]).contributions.find((c) => c.comparison === 'email')?.level ?? null;
    const mary = (email: string, given = 'mary') => rec({ given, surname: 'smith', email });
    expect(mary('marysmith@gmail.com').emailLocalFromNames).toBe(true);
    expect(mary('smith.mary84@yahoo.com').emailLocalFromNames).toBe(true);
    expect(mary('msmith@yahoo.com').emailLocalFromNames).toBe(true);
    expect(mary('marysmiht@gmail.com').emailLocalFromNames).toBe(false);
    expect(mary('sunflower77@gmail.com').emailLocalFromNames).toBe(false);
    // The same spelling at two providers: the names said again.
    expect(level(mary('marysmith@gmail.com'), mary('marysmith@yahoo.com'))).toBeNull();
    // A handle of one's own at two providers is still the same person's.
    expect(level(mary('sunflower77@gmail.com'), mary('sunflower77@yahoo.com'))).toBe('local part exact');
    // Two spellings of the names at one provider are two inboxes; a typo spells no names.
    expect(level(mary('mary.smith@gmail.com'), mary('marysmith@gmail.com'))).toBe('different');
    expect(level(mary('mary.smith@gmail.com'), mary('mary.smiht@gmail.com'))).toBe('local part within two edits, same domain');
    // One inbox is one inbox, however it is spelled.
    expect(level(mary('marysmith@gmail.com'), mary('marysmith@gmail.com', 'molly'))).toBe('exact');
  });

  it('compares address lines written the other way round crosswise', () => {
    const level = (a: MatchRecord, b: MatchRecord, c: string) => scorer.score(a, [b]).contributions.find((x) => x.comparison === c)?.level ?? null;
    const home = rec({ given: 'isabella', surname: 'rundle', streetNumber: '8', street: 'fawkner street', locality: 'emerald college', city: 'pottsville' });
    const swappedLines = rec({ given: 'isabella', surname: 'rundle', streetNumber: '8', street: 'emerald college', locality: 'fawkner street', city: 'pottsville' });
    const elsewhere = rec({ given: 'isabella', surname: 'rundle', streetNumber: '8', street: 'acacia road', locality: 'emerald college', city: 'pottsville' });
    expect(level(swappedLines, home, 'address')).toBe('same house');
    expect(level(swappedLines, home, 'locality')).toBe('exact');
    expect(level(elsewhere, home, 'address')).toBe('different');
  });

  it('counts a swap of neighbouring letters as one typo in a long given name, and still vetoes other names', () => {
    const level = (x: string, y: string) => scorer.score(rec({ given: x, surname: 'rivers' }), [rec({ given: y, surname: 'rivers' })]).contributions.find((c) => c.comparison === 'given_name')!.level;
    expect(level('lachlq-njohn', 'lachlan-john')).toBe('two typos');
    expect(level('jennifer', 'jessica')).toBe('different');
    expect(level('christopher', 'christina')).toBe('different');
  });

  it('does not let an initial stand for a whole household', () => {
    const home = { surname: 'quist', street: '7 wallaby place', postcode: '2119' };
    const entity = [rec({ given: 'mary', dob: '19700101', ...home }), rec({ given: 'm', ...home })];
    expect(scorer.score(rec({ given: 'michael', dob: '19700101', ...home }), entity).veto).toBe('different given names');
  });

  it('links a true duplicate and leaves a look-alike apart, with the threshold growing with the tenant', () => {
    const a = rec({ given: 'zebedee', surname: 'quist', dob: '19800312', street: '7 wallaby place', postcode: '2119' });
    const typo = rec({ given: 'zebedee', surname: 'qiust', dob: '19800321', street: '7 wallaby pl', postcode: '2119' });
    expect(scorer.score(typo, [a]).weight).toBeGreaterThan(linkWeight(people.length));
    const lookAlike = rec({ given: 'john', surname: 'smith', city: 'town1' });
    expect(scorer.score(lookAlike, [rec({ given: 'john', surname: 'smith', city: 'town1' })]).weight).toBeLessThan(linkWeight(people.length));
    expect(linkWeight(1_000_000)).toBeGreaterThan(linkWeight(1000));
  });

  it('merges two entities through a record only when the entities match each other', () => {
    const home = { surname: 'quist', street: '7 wallaby place', postcode: '2119' };
    // Two people of one household; a third record, with no given name and no date of birth, looks like both.
    const records = [
      rec({ given: 'olivia', dob: '19900101', ...home }),
      rec({ given: 'connor', dob: '19600505', ...home }),
      rec({ ...home, email: 'x@y.test' }),
    ];
    const result = clusterRecords([...people, ...records], { random: seededRandom(1) });
    const [olivia, connor] = result.entity.slice(-3);
    expect(olivia).not.toBe(connor);
  });

  it('closes a key too many share, and still finds every record through the keys that combine fields', () => {
    const index = createEntityIndex(50);
    const smiths = Array.from({ length: 200 }, (_, i) => rec({ given: 'john', surname: 'smith', dob: `1970${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`, postcode: String(1000 + i) }));
    for (const r of smiths) index.create(r);
    expect(index.closedKeys).toBeGreaterThan(0);
    expect(entityKeys(smiths[7]!).some((k) => k.startsWith('!'))).toBe(true);
    // The same John Smith again: found although "john smith" alone is closed.
    const again = rec({ given: 'john', surname: 'smith', dob: smiths[7]!.dob, postcode: smiths[7]!.postcode });
    expect(index.candidates(again, 10)).toContain(7);
  });

  it('ranks candidates as sorting them all would, when more share keys than are asked for', () => {
    const index = createEntityIndex(1000);
    const random = seededRandom(5);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    for (let i = 0; i < 400; i++) {
      index.create(rec({ given: pick(['ann', 'bob', 'cy']), surname: pick(['lee', 'quist']), dob: `19${pick(['70', '71'])}0${pick(['1', '2'])}0${pick(['1', '2'])}`, postcode: pick(['2119', '2600']), street: `${pick(['1', '2'])} ${pick(['main st', 'high st'])}` }));
    }
    const record = rec({ given: 'ann', surname: 'lee', dob: '19700101', postcode: '2119', street: '1 main st' });
    const all = index.candidates(record, Infinity);
    expect(all.length).toBeGreaterThan(40);
    for (const limit of [1, 7, 40]) expect(index.candidates(record, limit)).toEqual(all.slice(0, limit));
  });

  it('scores members alike in a comparison once, to the same score as comparing them all', () => {
    const home = { surname: 'quist', street: '7 wallaby place', postcode: '2119' };
    const a = rec({ given: 'zebedee', dob: '19800312', email: 'zq@mail.test', ...home });
    const b = rec({ given: 'zeb', dob: '19800321', ...home });
    const record = rec({ given: 'zebedee', dob: '19800312', phone: '+12125550100', ...home });
    const once = scorer.score(record, [a, b]);
    const twice = scorer.score(record, [a, rec({ given: 'zebedee', dob: '19800312', email: 'zq@mail.test', ...home }), b, rec({ given: 'zeb', dob: '19800321', ...home })]);
    expect({ weight: twice.weight, veto: twice.veto, contributions: twice.contributions }).toEqual({ weight: once.weight, veto: once.veto, contributions: once.contributions });
    const entities = scorer.scoreEntities([a, b, a], [record, record]);
    expect(entities.weight).toBe(scorer.scoreEntities([a, b], [record]).weight);
  });

  it("computes Jaro-Winkler as talisman does, and a bound never under it", () => {
    const random = seededRandom(9);
    const words = ['martha', 'marhta', 'dwayne', 'duane', 'dixon', 'dicksonx', 'smith', 'smyth', 'john', 'jon', 'a', '', 'ab', 'ba', 'wallaby place', 'wallaby pl', 'zoë', 'zoe'];
    for (let k = 0; k < 2000; k++) {
      const x = words[Math.floor(random() * words.length)]!;
      const y = k % 2 ? words[Math.floor(random() * words.length)]! : x.slice(0, Math.floor(random() * x.length)) + 'e' + x.slice(Math.floor(random() * x.length));
      expect(jaroWinkler(x, y)).toBe(talismanJaroWinkler(x, y));
      expect(jaroWinklerBound(x, y)).toBeGreaterThanOrEqual(jaroWinkler(x, y));
    }
  });
});
