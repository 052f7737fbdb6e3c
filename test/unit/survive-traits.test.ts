import { describe, expect, it } from 'vitest';
import { surviveTraits, type TraitValue } from '../../resolver/graph-store.ts';

const t = (value: string, at: number, source = 'crm'): TraitValue => ({ value, at, source });

describe('surviveTraits', () => {
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
