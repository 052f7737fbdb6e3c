import { describe, expect, it } from 'vitest';
import {
  ColumnMapError,
  columnKey,
  describeMapping,
  detectColumns,
  fieldOfColumn,
  hasIdentifierColumn,
  parseColumnMap,
  readPerson,
  snakeCase,
  splitTags,
} from '../../ingest/columns.ts';

describe('column names', () => {
  it('compares names without case, spaces, underscores, hyphens, punctuation or accents', () => {
    for (const name of ['E-mail Address', 'email_address', 'EmailAddress', ' EMAIL-ADDRESS ', 'e-mail address']) {
      expect(columnKey(name)).toBe('emailaddress');
    }
    expect(columnKey('Numéro')).toBe('numero');
  });

  it('knows the common names of each field', () => {
    const expected: Record<string, string> = {
      'Contact ID': 'source_record_id',
      'Record ID': 'source_record_id',
      id: 'source_record_id',
      'CRM ID': 'source_record_id',
      customer_id: 'source_record_id',
      'User ID': 'auth_user_id',
      auth_id: 'auth_user_id',
      'E-mail': 'email',
      Mail: 'email',
      Mobile: 'phone',
      'Phone Number': 'phone',
      Telephone: 'phone',
      cell: 'phone',
      Tel: 'phone',
      FirstName: 'first_name',
      'Given Name': 'first_name',
      Forename: 'first_name',
      Surname: 'last_name',
      'Family Name': 'last_name',
      Name: 'full_name',
      DOB: 'date_of_birth',
      Birthdate: 'date_of_birth',
      birthday: 'date_of_birth',
      Sex: 'gender',
      Address: 'street',
      'Address 1': 'street',
      'Street Address': 'street',
      Town: 'city',
      Suburb: 'city',
      State: 'region',
      Province: 'region',
      'State/Region': 'region',
      Postcode: 'postal_code',
      ZIP: 'postal_code',
      'Zip Code': 'postal_code',
      Country: 'country',
      Language: 'language',
      Company: 'company',
      Title: 'job_title',
      'Job Title': 'job_title',
      lifecyclestage: 'lifecycle_stage',
      'Lifecycle Stage': 'lifecycle_stage',
      Stage: 'lifecycle_stage',
      Status: 'status',
      Tags: 'tags',
      'Updated At': 'occurred_at',
      'Last Modified': 'occurred_at',
      createdate: 'occurred_at',
      lastmodifieddate: 'occurred_at',
      'Created At': 'occurred_at',
    };
    for (const [column, field] of Object.entries(expected)) expect([column, fieldOfColumn(column)]).toEqual([column, field]);
    expect(fieldOfColumn('Loyalty Number')).toBeNull();
    expect(fieldOfColumn('Company Name')).toBe('company');
  });

  it('snake-cases the names of columns kept as traits', () => {
    expect(snakeCase('Loyalty Number')).toBe('loyalty_number');
    expect(snakeCase('Numéro client')).toBe('numero_client');
    expect(snakeCase('customerTier')).toBe('customer_tier');
    expect(snakeCase('  # of Visits (12m) ')).toBe('of_visits_12m');
  });
});

describe('detectColumns', () => {
  const header = ['Contact ID', 'First Name', 'Last Name', 'E-mail Address', 'Mobile', 'Lifecycle Stage', 'Tags', 'Loyalty Number', 'Last Modified'];

  it('maps a CRM export header and keeps unknown columns as traits', () => {
    const mapping = detectColumns(header);
    expect(mapping.fields).toEqual({
      source_record_id: 0,
      first_name: 1,
      last_name: 2,
      email: 3,
      phone: 4,
      lifecycle_stage: 5,
      tags: 6,
      occurred_at: 8,
    });
    expect(mapping.columns[7]).toEqual({ index: 7, column: 'Loyalty Number', field: null, trait: 'loyalty_number', via: 'unrecognised' });
    expect(hasIdentifierColumn(mapping)).toBe(true);
    expect(describeMapping(mapping)).toBe(
      'Contact ID→source_record_id, First Name→first_name, Last Name→last_name, E-mail Address→email, Mobile→phone, Lifecycle Stage→lifecycle_stage, Tags→tags, Loyalty Number→traits.loyalty_number, Last Modified→occurred_at',
    );
  });

  it('gives a field to the best-named column and keeps the other as a trait', () => {
    const mapping = detectColumns(['Mail', 'Created At', 'Email', 'Last Modified', 'Phone', 'Mobile']);
    expect(mapping.fields.email).toBe(2);
    expect(mapping.fields.occurred_at).toBe(3);
    expect(mapping.fields.phone).toBe(4);
    expect(mapping.columns.map((c) => c.trait)).toEqual(['mail', 'created_at', null, null, null, 'mobile']);
  });

  it('never lets two columns write the same trait', () => {
    const mapping = detectColumns(['First Name', 'first_name', 'Given Name']);
    expect(mapping.fields.first_name).toBe(0);
    expect(mapping.columns.map((c) => c.trait)).toEqual([null, 'first_name_2', 'given_name']);
    expect(detectColumns(['', 'Email', 'x', 'X']).columns.map((c) => c.trait)).toEqual(['column_1', null, 'x', 'x_2']);
  });

  it('applies --map overrides before the names', () => {
    const overrides = parseColumnMap('E-Mail Address=email, Handy=phone,Phone=traits.landline,Kundennummer=id');
    const mapping = detectColumns(['Kundennummer', 'E-Mail Address', 'Handy', 'Phone', 'Email'], overrides);
    expect(mapping.fields).toEqual({ source_record_id: 0, email: 1, phone: 2 });
    expect(mapping.columns.map((c) => [c.field, c.trait, c.via])).toEqual([
      ['source_record_id', null, 'map'],
      ['email', null, 'map'],
      ['phone', null, 'map'],
      [null, 'landline', 'map'],
      [null, 'email', 'unrecognised'],
    ]);
  });

  it('refuses unknown fields, malformed pairs and two columns for one field', () => {
    expect(() => parseColumnMap('Mobile=fone')).toThrow(ColumnMapError);
    expect(() => parseColumnMap('Mobile=fone')).toThrow(/unknown field "fone"/);
    expect(() => parseColumnMap('Mobile')).toThrow(/not COLUMN=FIELD/);
    expect(() => parseColumnMap('=email')).toThrow(/not COLUMN=FIELD/);
    expect(() => detectColumns(['A', 'B'], parseColumnMap(['A=email', 'B=email']))).toThrow(/two columns are mapped to email/);
    expect(parseColumnMap(['a=e-mail', 'b=traits.First Name']).get('b')!.target).toEqual({ field: 'first_name' });
  });

  it('finds no identifier column in a header of names only', () => {
    expect(hasIdentifierColumn(detectColumns(['First Name', 'City']))).toBe(false);
  });
});

describe('readPerson', () => {
  it('reads fields and traits, trims cells, leaves empty ones out and splits tags', () => {
    const mapping = detectColumns(['Contact ID', 'E-mail', 'Mobile', 'First Name', 'Tags', 'Loyalty Number', 'Notes']);
    expect(readPerson(mapping, [' C-1 ', 'ann@mail.test', '', 'Chloé', 'vip; newsletter|vip', 'L-77', '  '])).toEqual({
      fields: { source_record_id: 'C-1', email: 'ann@mail.test', first_name: 'Chloé', tags: ['vip', 'newsletter'] },
      extra: { loyalty_number: 'L-77' },
    });
  });

  it('reads JSON values: numbers and booleans as text, arrays of tags, nested values as JSON', () => {
    const mapping = detectColumns(['id', 'tags', 'score', 'opted_in', 'address', 'prefs']);
    expect(readPerson(mapping, [42, ['a', ' b ', ''], 12.5, true, '1 Main St', { color: 'red' }])).toEqual({
      fields: { source_record_id: '42', tags: ['a', 'b'], street: '1 Main St' },
      extra: { score: '12.5', opted_in: 'true', prefs: '{"color":"red"}' },
    });
    expect(splitTags('a,b , ,c')).toEqual(['a', 'b', 'c']);
    expect(splitTags(null)).toEqual([]);
  });
});
