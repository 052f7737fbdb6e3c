import { describe, expect, it } from 'vitest';
import { validateEnvelope, type Validated } from '../../ingest/validate-event.ts';
import type { RawEvent } from '../../schemas/types.ts';

const RECEIVED_AT = Date.UTC(2026, 2, 1, 12, 0, 0);

function envelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: 'evt-1',
    source: 'crm',
    type: 'contact_created',
    occurred_at: '2026-01-15T10:30:00.000Z',
    identity: { email: 'Ann.Smith@Mail.Test', phone: '(415) 555-0123', source_record_id: 'CRM-1' },
    traits: { first_name: 'Ann' },
    properties: { campaign: 'spring' },
    ...overrides,
  };
}

function accepted(result: Validated): RawEvent {
  if (!result.ok) throw new Error(`expected a valid envelope, got ${JSON.stringify(result.errors)}`);
  return result.event;
}

function errorsOf(result: Validated) {
  if (result.ok) throw new Error('expected the envelope to be rejected');
  return result.errors;
}

describe('validateEnvelope: valid envelopes', () => {
  it('builds the RawEvent, with the tenant of the argument', () => {
    const event = accepted(validateEnvelope(envelope(), 'acme', RECEIVED_AT));
    expect(event).toEqual({
      event_id: 'evt-1',
      tenant_id: 'acme',
      source: 'crm',
      type: 'contact_created',
      occurred_at: Date.UTC(2026, 0, 15, 10, 30, 0),
      received_at: RECEIVED_AT,
      identity: { auth_user_id: null, email: 'Ann.Smith@Mail.Test', phone: '(415) 555-0123', anonymous_id: null, source_record_id: 'CRM-1' },
      customer360_id: null,
      traits: { first_name: 'Ann' },
      // campaign is not a field of contact_created: kept in the free-form properties.
      properties: { campaign: 'spring' },
      contact_created: { lifecycle_stage: null, status: null, tags: [], owner: null },
    });
  });

  it('ignores a tenant_id in the body', () => {
    const event = accepted(validateEnvelope(envelope({ tenant_id: 'evil-corp' }), 'acme', RECEIVED_AT));
    expect(event.tenant_id).toBe('acme');
  });

  it('converts occurred_at with an offset to epoch milliseconds', () => {
    const event = accepted(validateEnvelope(envelope({ occurred_at: '2026-01-15T12:30:00.250+02:00' }), 'acme', RECEIVED_AT));
    expect(event.occurred_at).toBe(Date.UTC(2026, 0, 15, 10, 30, 0, 250));
  });

  it('keeps flat trait values and writes nested ones as JSON text', () => {
    const event = accepted(
      validateEnvelope(
        envelope({
          traits: { name: 'Ann', age: 42, vip: true, nickname: null, shipping: { city: 'Oakland', zip: '94601' }, tags: ['a', 'b'] },
          properties: { amount: 12.5, items: [{ sku: 'X1', qty: 2 }] },
        }),
        'acme',
        RECEIVED_AT,
      ),
    );
    expect(event.traits).toEqual({
      name: 'Ann',
      age: 42,
      vip: true,
      nickname: null,
      shipping: '{"city":"Oakland","zip":"94601"}',
      tags: '["a","b"]',
    });
    expect(event.properties).toEqual({ amount: 12.5, items: '[{"sku":"X1","qty":2}]' });
  });

  it('turns empty and blank identity strings into null, and keeps others as sent', () => {
    const event = accepted(
      validateEnvelope(envelope({ identity: { email: '', phone: '   ', auth_user_id: null, anonymous_id: ' anon-1 ' } }), 'acme', RECEIVED_AT),
    );
    expect(event.identity).toEqual({ auth_user_id: null, email: null, phone: null, anonymous_id: ' anon-1 ', source_record_id: null });
  });

  it('accepts an envelope without identity, traits or properties', () => {
    const event = accepted(
      validateEnvelope({ event_id: 'e', source: 'pos', type: 'store_visit', occurred_at: '2026-01-01T00:00:00Z' }, 'acme', RECEIVED_AT),
    );
    expect(event.identity).toEqual({ auth_user_id: null, email: null, phone: null, anonymous_id: null, source_record_id: null });
    expect(event.traits).toEqual({});
    expect(event.properties).toEqual({});
  });
});

const order = (properties: Record<string, unknown>) =>
  validateEnvelope(
    { event_id: 'o1', source: 'pos', type: 'order_completed', occurred_at: '2026-01-01T00:00:00Z', properties },
    'acme',
    RECEIVED_AT,
  );

describe('validateEnvelope: properties of catalogued event types', () => {
  const line = { sku: 'A1', name: 'Mug', quantity: 2, unit_price_minor: 450, total_minor: 900 };

  it('turns a POS order into its typed record, defaults filled, unknown fields kept', () => {
    const event = accepted(order({ order_id: 'A-1', currency: 'EUR', total_minor: 900, payment_method: 'cash', line_items: [{ ...line, colour: 'red' }], loyalty_card: 'L-9' }));
    expect(event.order_completed).toEqual({
      order_id: 'A-1',
      store_id: null,
      register_id: null,
      cashier_id: null,
      channel: null,
      marketplace: null,
      customer_kind: null,
      currency: 'EUR',
      subtotal_minor: null,
      discount_minor: null,
      tax_minor: null,
      total_minor: 900,
      payment_method: 'cash',
      line_items: [{ ...line, category: null, discount_minor: null, extra: { colour: 'red' } }],
    });
    expect(event.properties).toEqual({ loyalty_card: 'L-9' });
  });

  it('names the path and the reason of every wrong field', () => {
    expect(errorsOf(order({ order_id: 7, currency: 'USD', total_minor: 12.99, payment_method: 'cheque', line_items: [{ quantity: '2', unit_price_minor: 1 }] }))).toEqual([
      { path: '/properties/order_id', message: 'must be a string' },
      { path: '/properties/total_minor', message: 'must be an integer amount in minor units (1299 for 12.99)' },
      { path: '/properties/payment_method', message: 'must be one of cash, card, mobile_wallet, gift_card, voucher, store_credit, bank_transfer, other' },
      { path: '/properties/line_items/0/quantity', message: 'must be a number' },
      { path: '/properties/line_items/0/total_minor', message: 'is required' },
    ]);
  });

  it('checks currency codes and amounts', () => {
    expect(errorsOf(order({ order_id: 'x', currency: 'usd', total_minor: 100 }))).toEqual([
      { path: '/properties/currency', message: 'must be an ISO 4217 currency code in capitals, e.g. USD' },
    ]);
    expect(errorsOf(order({ order_id: 'x', currency: 'USD', total_minor: -5 }))[0]!.path).toBe('/properties/total_minor');
    const refund = validateEnvelope(
      { event_id: 'r', source: 'pos', type: 'order_refunded', occurred_at: '2026-01-01T00:00:00Z', properties: { refund_id: 'r', order_id: 'x', currency: 'USD', amount_minor: 0 } },
      'acme',
      RECEIVED_AT,
    );
    expect(errorsOf(refund)).toEqual([{ path: '/properties/amount_minor', message: 'must be above 0 (the amount given back)' }]);
  });

  it('leaves types outside the catalog free-form, and a type catalogued for another source too', () => {
    const web = accepted(
      validateEnvelope({ event_id: 'w', source: 'web', type: 'order_completed', occurred_at: '2026-01-01T00:00:00Z', properties: { total: 12.5 } }, 'acme', RECEIVED_AT),
    );
    expect(web.order_completed).toBeUndefined();
    expect(web.properties).toEqual({ total: 12.5 });
  });

  it('takes consent changes for a channel or another scope, with the status enum', () => {
    const consent = (properties: Record<string, unknown>) =>
      validateEnvelope({ event_id: 'c', source: 'crm', type: 'consent_changed', occurred_at: '2026-01-01T00:00:00Z', properties }, 'acme', RECEIVED_AT);
    expect(accepted(consent({ scope: 'sms', status: 'revoked', policy_version: '2026-01' })).consent_changed).toEqual({
      scope: 'sms',
      other_scope: null,
      status: 'revoked',
      policy_version: '2026-01',
      ip: null,
      reason: null,
    });
    // Another scope travels as other_scope (whether the tenant configured it, the resolver knows).
    expect(accepted(consent({ scope: 'profiling', status: 'granted' })).consent_changed).toMatchObject({ scope: null, other_scope: 'profiling', status: 'granted' });
    expect(errorsOf(consent({ scope: 'fax', status: 'maybe' }))).toEqual([{ path: '/properties/status', message: 'must be one of granted, revoked' }]);
    expect(errorsOf(consent({ scope: 'Fax!', status: 'granted' }))).toEqual([
      { path: '/properties/scope', message: 'must be a channel (email, sms, push, whatsapp) or a scope the tenant configured (lower case letters, digits and _)' },
    ]);
  });
});

describe('validateEnvelope: invalid envelopes', () => {
  it.each(['event_id', 'source', 'type', 'occurred_at'])('requires %s', (field) => {
    const body = envelope();
    delete body[field];
    expect(errorsOf(validateEnvelope(body, 'acme', RECEIVED_AT))).toEqual([{ path: `/${field}`, message: 'is required' }]);
  });

  it('reports every missing field at once', () => {
    const paths = errorsOf(validateEnvelope({}, 'acme', RECEIVED_AT)).map((e) => e.path);
    expect(paths.sort()).toEqual(['/event_id', '/occurred_at', '/source', '/type']);
  });

  it('rejects an unknown source', () => {
    expect(errorsOf(validateEnvelope(envelope({ source: 'fax' }), 'acme', RECEIVED_AT))).toEqual([
      { path: '/source', message: 'must be one of crm, pos, web, messaging' },
    ]);
  });

  it.each(['yesterday', '2026-01-15', '2026-01-15T10:30:00', '', '2026-13-01T00:00:00Z'])('rejects occurred_at %j', (occurredAt) => {
    const errors = errorsOf(validateEnvelope(envelope({ occurred_at: occurredAt }), 'acme', RECEIVED_AT));
    expect(errors.map((e) => e.path)).toEqual(['/occurred_at']);
  });

  it('rejects occurred_at as a number', () => {
    expect(errorsOf(validateEnvelope(envelope({ occurred_at: 1767225600000 }), 'acme', RECEIVED_AT)).map((e) => e.path)).toEqual(['/occurred_at']);
  });

  it('rejects an identity value that is not a string', () => {
    const errors = errorsOf(validateEnvelope(envelope({ identity: { email: 42 } }), 'acme', RECEIVED_AT));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('/identity/email');
    expect(errors[0]!.message).toMatch(/string/);
  });

  it('rejects a phone longer than 40 characters', () => {
    expect(errorsOf(validateEnvelope(envelope({ identity: { phone: '1'.repeat(41) } }), 'acme', RECEIVED_AT)).map((e) => e.path)).toEqual([
      '/identity/phone',
    ]);
  });

  it('rejects an empty event_id and a type with forbidden characters', () => {
    const errors = errorsOf(validateEnvelope(envelope({ event_id: '', type: 'drop;table' }), 'acme', RECEIVED_AT));
    expect(errors.map((e) => e.path).sort()).toEqual(['/event_id', '/type']);
  });

  it('rejects a NUL character inside a trait string, with its path', () => {
    expect(errorsOf(validateEnvelope(envelope({ traits: { city: 'Oak\u0000land' } }), 'acme', RECEIVED_AT))).toEqual([
      { path: '/traits/city', message: 'contains a NUL character' },
    ]);
  });

  it('rejects a NUL character deep in a property and in an identity value', () => {
    const errors = errorsOf(
      validateEnvelope(envelope({ identity: { email: 'a\u0000@mail.test' }, properties: { cart: { items: ['ok', 'b\u0000d'] } } }), 'acme', RECEIVED_AT),
    );
    expect(errors.map((e) => e.path).sort()).toEqual(['/identity/email', '/properties/cart/items/1']);
  });

  it('rejects a NUL character in a field name', () => {
    const errors = errorsOf(validateEnvelope(envelope({ traits: { 'ci\u0000ty': 'Oakland' } }), 'acme', RECEIVED_AT));
    expect(errors).toEqual([{ path: '/traits/ci\\0ty', message: 'field name contains a NUL character' }]);
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'x'],
    ['an array', []],
    ['undefined', undefined],
  ])('rejects %s without throwing', (_what, input) => {
    let result: Validated | undefined;
    expect(() => {
      result = validateEnvelope(input, 'acme', RECEIVED_AT);
    }).not.toThrow();
    expect(result?.ok).toBe(false);
    expect(errorsOf(result!)).toEqual([{ path: '/', message: 'must be object' }]);
  });

  it('rejects traits that are not an object', () => {
    expect(errorsOf(validateEnvelope(envelope({ traits: 'vip' }), 'acme', RECEIVED_AT)).map((e) => e.path)).toEqual(['/traits']);
  });
});

describe('validateEnvelope: traits and properties the resolver can read', () => {
  const traitErrors = (traits: Record<string, unknown>, properties: Record<string, unknown> = {}) =>
    errorsOf(validateEnvelope(envelope({ traits, properties }), 'acme', RECEIVED_AT));

  it.each(['constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])('refuses the trait and the property named %s, naming the path', (name) => {
    expect(traitErrors({ [name]: 'x' }, { [name]: 1 })).toEqual([
      { path: `/traits/${name}`, message: 'is a reserved name (a member of JavaScript objects); send the field under another name' },
      { path: `/properties/${name}`, message: 'is a reserved name (a member of JavaScript objects); send the field under another name' },
    ]);
  });

  it('refuses a __proto__ key of a parsed body (an own property, as JSON.parse makes it)', () => {
    const traits = JSON.parse('{"__proto__": {"admin": true}, "first_name": "Ann"}');
    expect(traitErrors(traits).map((e) => e.path)).toEqual(['/traits/__proto__']);
  });

  it('refuses a catalogued type\'s free-form property under a reserved name', () => {
    const errors = errorsOf(order({ order_id: 'A-1', currency: 'USD', total_minor: 100, constructor: 'x' }));
    expect(errors.map((e) => e.path)).toEqual(['/properties/constructor']);
  });

  it.each([
    ['first_name', 123],
    ['first_name', true],
    ['last_name', { text: 'Lee' }],
    ['date_of_birth', 19800101],
    ['city', ['Oakland']],
    ['gender', false],
    ['locale', 1],
  ])('refuses %s given as %j: it must be a string', (name, value) => {
    expect(traitErrors({ [name]: value })).toEqual([{ path: `/traits/${name}`, message: 'must be a string' }]);
  });

  it('takes a postal code, house number or national ID given as a number as its decimal text', () => {
    const event = accepted(validateEnvelope(envelope({ traits: { postal_code: 94105, house_number: 12, national_id: 123456789, zip: null } }), 'acme', RECEIVED_AT));
    expect(event.traits).toEqual({ postal_code: '94105', house_number: '12', national_id: '123456789', zip: null });
    expect(traitErrors({ postal_code: true })).toEqual([{ path: '/traits/postal_code', message: 'must be a string or a number' }]);
  });

  it('refuses a text trait longer than 512 characters, and keeps a long free-form one', () => {
    expect(traitErrors({ city: 'x'.repeat(513) })).toEqual([{ path: '/traits/city', message: 'must be at most 512 characters' }]);
    expect(accepted(validateEnvelope(envelope({ traits: { city: 'x'.repeat(512), note: 'y'.repeat(5000) } }), 'acme', RECEIVED_AT)).traits.note).toHaveLength(5000);
  });

  it('keeps numbers and booleans of the other traits', () => {
    expect(accepted(validateEnvelope(envelope({ traits: { age: 42, vip: true, score: Infinity } }), 'acme', RECEIVED_AT)).traits).toEqual({ age: 42, vip: true, score: null });
  });

  it('reports every field of a record at once, and gives maps without a prototype', () => {
    expect(traitErrors({ constructor: 'x', first_name: 1, city: 'Oakland', toString: 'y' }, { valueOf: 2 }).map((e) => e.path)).toEqual([
      '/traits/constructor',
      '/traits/first_name',
      '/traits/toString',
      '/properties/valueOf',
    ]);
    const event = accepted(validateEnvelope(envelope(), 'acme', RECEIVED_AT));
    expect(Object.getPrototypeOf(event.traits)).toBeNull();
    expect(Object.getPrototypeOf(event.properties)).toBeNull();
  });

  it('escapes / and ~ of a name in a path (JSON Pointer)', () => {
    expect(traitErrors({ 'a/b~c': 'N\u0000L' })).toEqual([{ path: '/traits/a~1b~0c', message: 'contains a NUL character' }]);
  });
});
