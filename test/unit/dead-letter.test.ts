import { afterEach, describe, expect, it, vi } from 'vitest';
import { deadLetter } from '../../platform/stage-runner.ts';
import type { InboundMessage } from '../../platform/transport.ts';

const message = (overrides: Partial<InboundMessage> = {}): InboundMessage => ({
  topic: 'c360.raw.crm',
  partition: 3,
  offset: '1234',
  key: 'acme:abc',
  value: Buffer.from([0, 0, 0, 0, 1, 2, 3]),
  headers: { 'c360-tenant': 'acme' },
  ...overrides,
});

describe('deadLetter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps key, value and headers, adds the reason, step, time and origin, and targets <topic>.dlq', () => {
    vi.useFakeTimers({ now: new Date('2026-03-04T05:06:07.089Z') });
    const original = message();
    const output = deadLetter(original, 'resolver', 'decode', 'unknown magic byte');
    expect(output).toEqual({
      topic: 'c360.raw.crm.dlq',
      key: 'acme:abc',
      value: original.value,
      headers: {
        'c360-tenant': 'acme',
        'dlq-reason': 'unknown magic byte',
        'dlq-step': 'resolver.decode',
        'dlq-timestamp': '2026-03-04T05:06:07.089Z',
        'dlq-original-topic': 'c360.raw.crm',
        'dlq-original-partition': '3',
        'dlq-original-offset': '1234',
      },
    });
    expect(output.value).toBe(original.value);
  });

  it('writes the time as ISO 8601 of now', () => {
    const before = Date.now();
    const output = deadLetter(message(), 'enrich', 'write', 'bad');
    const stamp = output.headers!['dlq-timestamp']!;
    expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(stamp)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(stamp)).toBeLessThanOrEqual(Date.now());
  });

  it('keeps a null key and partition 0', () => {
    const output = deadLetter(message({ key: null, partition: 0, offset: '0', topic: 'c360.events.resolved' }), 'enrich', 'decode', 'x');
    expect(output.key).toBeNull();
    expect(output.topic).toBe('c360.events.resolved.dlq');
    expect(output.headers!['dlq-original-partition']).toBe('0');
    expect(output.headers!['dlq-original-offset']).toBe('0');
  });

  it('overwrites the dlq headers of an earlier dead letter and leaves the input unchanged', () => {
    const original = message({ headers: { 'dlq-reason': 'old', 'dlq-step': 'a.b', other: 'kept' } });
    const output = deadLetter(original, 'resolver', 'link', 'new');
    expect(output.headers!['dlq-reason']).toBe('new');
    expect(output.headers!['dlq-step']).toBe('resolver.link');
    expect(output.headers!.other).toBe('kept');
    expect(original.headers).toEqual({ 'dlq-reason': 'old', 'dlq-step': 'a.b', other: 'kept' });
  });
});
