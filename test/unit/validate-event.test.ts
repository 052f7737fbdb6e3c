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
      traits: { first_name: 'Ann' },
      properties: { campaign: 'spring' },
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
          traits: { name: 'Ann', age: 42, vip: true, nickname: null, address: { city: 'Oakland', zip: '94601' }, tags: ['a', 'b'] },
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
      address: '{"city":"Oakland","zip":"94601"}',
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
      validateEnvelope({ event_id: 'e', source: 'pos', type: 'order_completed', occurred_at: '2026-01-01T00:00:00Z' }, 'acme', RECEIVED_AT),
    );
    expect(event.identity).toEqual({ auth_user_id: null, email: null, phone: null, anonymous_id: null, source_record_id: null });
    expect(event.traits).toEqual({});
    expect(event.properties).toEqual({});
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
