/**
 * A resolver process of its own (the distributed mode on the tests' Kafka broker) serves
 * /healthz and /metrics on its own port: its stage's health, the links it made, and the
 * consumer lag of its group per topic and partition, which rises with the events ingest takes
 * and falls to zero once they are resolved.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName, waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

/** The samples of one metric: labels as text, value. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const at = line.lastIndexOf(' ');
      return { labels: line.slice(name.length, at), value: Number(line.slice(at + 1)) };
    });
}

describe('a resolver process on a port of its own', () => {
  let ingest: TestRuntime;
  let resolver: TestRuntime;
  const topicPrefix = uniqueName('c360obs');

  beforeAll(async () => {
    const kafkaBrokers = inject('kafkaBrokers');
    ingest = await startTestRuntime({ kafkaBrokers, services: 'ingest', topicPrefix });
    resolver = await startTestRuntime({ kafkaBrokers, services: 'resolver', topicPrefix });
  }, 120_000);
  afterAll(async () => {
    await resolver?.stop();
    await ingest?.stop();
  });

  it('serves its health, its links and its consumer lag', async () => {
    expect(resolver.url).not.toBe(ingest.url);
    const health = await resolver.request('GET', '/healthz', null);
    expect(health.status).toBe(200);
    expect(JSON.stringify(health.body)).toContain('resolver');

    const events = Array.from({ length: 40 }, (_, i) => ({
      event_id: `obs-${i}`,
      source: 'pos',
      type: 'order_completed',
      occurred_at: '2026-02-01T12:00:00Z',
      identity: { email: `obs${i % 10}@mail.test` },
      properties: { order_id: `obs-o-${i}`, total_minor: 1000, currency: 'USD' },
    }));
    const posted = await ingest.request('POST', '/v1/events', KEY_A, events);
    expect(posted.status).toBe(200);

    const metrics = async () => String((await resolver.request('GET', '/metrics', null)).body);
    // Every event resolved, and then nothing left behind in any partition of the group's topics.
    await waitFor(async () => samples(await metrics(), 'c360_resolver_links_total').reduce((n, s) => n + s.value, 0) >= 40, 60_000, 'the events resolved');
    await waitFor(
      async () => {
        const lag = samples(await metrics(), 'c360_consumer_lag_messages').filter((s) => s.labels.includes(`group="${topicPrefix}-resolver"`));
        return lag.length > 0 && lag.some((s) => s.labels.includes(`${topicPrefix}.raw.pos`)) && lag.every((s) => s.value === 0);
      },
      60_000,
      'the consumer lag of the resolver at zero',
    );
    const text = await metrics();
    expect(samples(text, 'c360_stage_messages_total').some((s) => s.labels.includes('stage="resolver"'))).toBe(true);
  }, 120_000);
});
