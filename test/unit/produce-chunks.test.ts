import { describe, expect, it } from 'vitest';
import { chunkByBytes, recordBytes } from '../../platform/produce-chunks.ts';

const message = (n: number, bytes = 100) => ({ key: 'tenant', value: Buffer.alloc(bytes, n % 256), headers: { 'c360-tenant': 'tenant' } });

describe('cutting produce requests under a byte budget', () => {
  it('counts the key, the value, the headers and the framing of a record', () => {
    expect(recordBytes(message(0, 100))).toBe(70 + 100 + 6 + ('c360-tenant'.length + 6 + 4));
    expect(recordBytes({ key: null, value: Buffer.alloc(10) })).toBe(80);
  });

  it('keeps everything in one request while it fits', () => {
    const chunks = chunkByBytes([{ topic: 'a', messages: [message(1), message(2)] }, { topic: 'b', messages: [message(3)] }], 10_000);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.map((b) => [b.topic, b.messages.length])).toEqual([['a', 2], ['b', 1]]);
  });

  it('cuts requests under the budget and keeps each topic in order', () => {
    const messages = Array.from({ length: 100 }, (_, i) => message(i, 1000));
    const chunks = chunkByBytes([{ topic: 'a', messages }], 10_000);
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) expect(chunk.flatMap((b) => b.messages).reduce((n, m) => n + recordBytes(m), 0)).toBeLessThanOrEqual(10_000);
    expect(chunks.flatMap((chunk) => chunk.flatMap((b) => b.messages))).toEqual(messages);
  });

  it('sends a record larger than the budget alone, for the broker to judge', () => {
    const chunks = chunkByBytes([{ topic: 'a', messages: [message(1), message(2, 50_000), message(3)] }], 10_000);
    expect(chunks.map((chunk) => chunk[0]!.messages.map((m) => m.value.length))).toEqual([[100], [50_000], [100]]);
  });

  it('makes no request of nothing', () => {
    expect(chunkByBytes([{ topic: 'a', messages: [] }], 10_000)).toEqual([]);
  });
});
