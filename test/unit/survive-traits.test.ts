import { describe, expect, it } from 'vitest';
import type { TraitValue } from '../../resolver/graph-store.ts';
import { historyOf, mergeHistories, parseRules, recordValues, subtractHistory, survive, type SurvivorshipRule } from '../../resolver/survivorship.ts';

/** Most-recent survivorship of a profile's values and an event's (the default rule). */
const surviveTraits = (current: Record<string, TraitValue>, incoming: Record<string, TraitValue>) => survive(recordValues(historyOf(current), incoming));

const t = (value: string, at: number, source = 'crm'): TraitValue => ({ value, at, source });

describe('survivorship: most_recent (the default)', () => {
  it('takes a newer incoming value', () => {
    expect(surviveTraits({ city: t('Oakland', 100) }, { city: t('Berkeley', 200, 'web') })).toEqual({ city: t('Berkeley', 200, 'web') });
  });

  it('keeps the current value when the incoming one is older', () => {
    expect(surviveTraits({ city: t('Oakland', 200) }, { city: t('Berkeley', 100, 'web') })).toEqual({ city: t('Oakland', 200) });
  });

  it('gives a tie to the incoming value', () => {
    expect(surviveTraits({ city: t('Oakland', 100) }, { city: t('Berkeley', 100, 'pos') })).toEqual({ city: t('Berkeley', 100, 'pos') });
  });

  it('never lets an empty string overwrite a value, however recent', () => {
    expect(surviveTraits({ city: t('Oakland', 100) }, { city: t('', 999) })).toEqual({ city: t('Oakland', 100) });
  });

  it('does not add an empty incoming value for a new trait', () => {
    expect(surviveTraits({}, { city: t('', 100) })).toEqual({});
  });

  it('adds new traits and keeps traits the incoming side does not mention', () => {
    expect(surviveTraits({ first_name: t('Ann', 100) }, { last_name: t('Smith', 50) })).toEqual({
      first_name: t('Ann', 100),
      last_name: t('Smith', 50),
    });
  });

  it('decides each trait on its own', () => {
    const current = { first_name: t('Ann', 300), city: t('Oakland', 100), country: t('US', 100) };
    const incoming = { first_name: t('ANN', 200, 'pos'), city: t('Berkeley', 200, 'web'), country: t('', 400) };
    expect(surviveTraits(current, incoming)).toEqual({
      first_name: t('Ann', 300),
      city: t('Berkeley', 200, 'web'),
      country: t('US', 100),
    });
  });

  it('does not modify its arguments', () => {
    const current = { city: t('Oakland', 100) };
    const incoming = { city: t('Berkeley', 200) };
    const result = surviveTraits(current, incoming);
    expect(result).not.toBe(current);
    expect(current).toEqual({ city: t('Oakland', 100) });
    expect(incoming).toEqual({ city: t('Berkeley', 200) });
  });
});

describe('survivorship rules', () => {
  // Four records of one person: the CRM twice, the POS and the web, at different times.
  let history = recordValues({}, { first_name: t('Katherine', 100, 'crm'), city: t('Oakland', 100, 'crm') });
  history = recordValues(history, { first_name: t('Kate', 200, 'pos'), city: t('Berkeley', 200, 'pos') });
  history = recordValues(history, { first_name: t('Katherine', 300, 'crm') });
  history = recordValues(history, { first_name: t('Kat', 400, 'web'), city: t('Berkeley', 400, 'web') });
  const rule = (r: SurvivorshipRule) => ({ first_name: r, city: r });

  it('most_recent takes the value seen last', () => {
    expect(survive(history, rule({ rule: 'most_recent' }))).toEqual({ first_name: t('Kat', 400, 'web'), city: t('Berkeley', 400, 'web') });
  });

  it('first_non_empty takes the value seen first', () => {
    expect(survive(history, rule({ rule: 'first_non_empty' })).first_name).toEqual({ value: 'Katherine', at: 300, source: 'crm' });
    expect(survive(history, rule({ rule: 'first_non_empty' })).city!.value).toBe('Oakland');
  });

  it('most_frequent takes the value seen most often, across sources', () => {
    expect(survive(history, rule({ rule: 'most_frequent' })).first_name!.value).toBe('Katherine');
    expect(survive(history, rule({ rule: 'most_frequent' })).city!.value).toBe('Berkeley');
  });

  it('source_priority takes the first listed source that has a value, the most recent of it', () => {
    expect(survive(history, rule({ rule: 'source_priority', sources: ['pos', 'crm'] }))).toEqual({ first_name: t('Kate', 200, 'pos'), city: t('Berkeley', 200, 'pos') });
    // Sources not listed come after, most recent first.
    expect(survive(history, rule({ rule: 'source_priority', sources: ['messaging'] })).first_name!.value).toBe('Kat');
  });

  it('merges two histories, counting values seen on both sides', () => {
    const other = recordValues({}, { first_name: t('Katherine', 50, 'crm') });
    const merged = mergeHistories(history, other);
    const katherine = merged.first_name!.find((c) => c.value === 'Katherine' && c.source === 'crm')!;
    expect(katherine).toMatchObject({ first_at: 50, last_at: 300, count: 3 });
  });

  it('checks rules sent by a person', () => {
    expect(parseRules({ first_name: { rule: 'source_priority', sources: ['crm', 'pos'] }, city: { rule: 'most_frequent' } }, ['crm', 'pos', 'web'])).toEqual({
      first_name: { rule: 'source_priority', sources: ['crm', 'pos'] },
      city: { rule: 'most_frequent' },
    });
    expect(parseRules({ city: { rule: 'loudest' } }, ['crm'])).toMatchObject({ error: expect.stringContaining('rule must be one of') });
    expect(parseRules({ city: { rule: 'source_priority', sources: ['fax'] } }, ['crm'])).toMatchObject({ error: expect.stringContaining('source_priority needs') });
    expect(parseRules([], ['crm'])).toMatchObject({ error: expect.any(String) });
  });
});

describe('survivorship: a split gives back what the merged profile brought', () => {
  const v = (value: string, at: number, source = 'crm') => ({ value, at, source });
  it('removes values only the merged profile saw, lowers the counts of shared ones, keeps later ones', () => {
    const survivor = recordValues(recordValues({}, { last_name: v('Adler', 1), city: v('Bonn', 1) }), { city: v('Bonn', 2) });
    const merged = recordValues(recordValues({}, { last_name: v('Brandt', 3), city: v('Bonn', 3) }), { nickname: v('Annie', 3) });
    const after = recordValues(mergeHistories(survivor, merged), { email_domain: v('mail.test', 9) });
    const back = subtractHistory(after, merged);
    expect(survive(back)).toEqual({ last_name: v('Adler', 1), city: expect.objectContaining({ value: 'Bonn' }), email_domain: v('mail.test', 9) });
    expect(back.city).toEqual([expect.objectContaining({ value: 'Bonn', count: 2 })]);
    expect(back.nickname).toBeUndefined();
    expect(subtractHistory(after, {})).toEqual(after);
  });
});

describe('survivorship: fields named like members of JavaScript objects', () => {
  const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', 'prototype'];

  it.each(names)('keeps, merges, survives and subtracts a field named %s like any other', (name) => {
    const values = Object.fromEntries([[name, t('x', 100)], ['city', t('Oakland', 100)]]);
    const history = recordValues({}, values);
    expect(Object.keys(history).sort()).toEqual([name, 'city'].sort());
    const again = recordValues(history, Object.fromEntries([[name, t('y', 200, 'web')]]));
    expect(survive(again)[name]).toEqual(t('y', 200, 'web'));
    const merged = mergeHistories(again, history);
    expect(merged[name]).toHaveLength(2);
    expect(subtractHistory(merged, history)[name]!.map((c) => [c.value, c.count])).toEqual([['y', 1], ['x', 1]]);
    // Stored as JSON and read back, the history is the same.
    expect(survive(JSON.parse(JSON.stringify(again)))[name]).toEqual(t('y', 200, 'web'));
  });

  it('reads a rule only for a field that has one of its own', () => {
    const history = recordValues({}, { constructor: t('first', 100) });
    const later = recordValues(history, { constructor: t('second', 200) });
    expect(survive(later, {})).toEqual(expect.objectContaining({ constructor: t('second', 200) }));
    const rule: SurvivorshipRule = { rule: 'first_non_empty' };
    expect(survive(later, { constructor: rule }).constructor).toEqual(t('first', 100));
    const rules = parseRules({ __proto__x: { rule: 'most_recent' }, constructor: { rule: 'first_non_empty' } }, ['crm']) as Record<string, SurvivorshipRule>;
    expect(Object.keys(rules).sort()).toEqual(['__proto__x', 'constructor']);
  });
});
