import { describe, expect, it } from 'vitest';
import { partitionKey } from '../../ingest/routes.ts';
import type { Identity, RawEvent } from '../../schemas/types.ts';

function rawEvent(identity: Partial<Identity>, overrides: Partial<RawEvent> = {}): RawEvent {
  return {
    event_id: 'e-1',
    tenant_id: 'acme',
    source: 'crm',
    type: 'contact_created',
    occurred_at: 1,
    received_at: 2,
    identity: { auth_user_id: null, email: null, phone: null, anonymous_id: null, source_record_id: null, ...identity },
    traits: {},
    properties: {},
    ...overrides,
  };
}

describe('partitionKey', () => {
  it('keys a raw event by its tenant alone: one resolver owns a tenant and sees its events in order', () => {
    const ann = partitionKey(rawEvent({ email: 'ann@mail.test' }));
    expect(ann).toBe('acme');
    expect(partitionKey(rawEvent({ phone: '+1 (415) 555-0123' }, { event_id: 'e-2', source: 'pos' }))).toBe(ann);
    expect(partitionKey(rawEvent({}, { event_id: 'e-3' }))).toBe(ann);
    expect(partitionKey(rawEvent({ email: 'ann@mail.test' }, { tenant_id: 'globex' }))).toBe('globex');
  });

  it('holds no identifier of the person', () => {
    const key = partitionKey(rawEvent({ email: 'ann.smith@mail.test', phone: '4155550123', auth_user_id: 'auth|1' }));
    for (const part of ['ann', 'mail.test', '4155550123', 'auth']) expect(key).not.toContain(part);
  });
});
