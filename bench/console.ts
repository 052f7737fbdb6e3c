/**
 * `npm run bench:console`: the console's time to interactive, in headless Chromium (Debian's
 * chromium, driven by playwright-core) against the product's own embedded runtime in this
 * process:
 *
 * - the console: from the start of the navigation to /console/ until the sign-in field takes
 *   input, then from signing in until the search box does;
 * - a profile with `--events` timeline events (1,000 by default): from the start of the
 *   navigation to #/profiles/<id> (a new page, already signed in) until its fields and the
 *   first page of its timeline are on the screen.
 *
 * Each is measured `--runs` times (5) in a fresh browser context (no cache); the median and the
 * spread are printed, with one JSON line last. `--screenshots` also writes the main screens to
 * docs/console/ (at 1280 pixels wide, and the search at 390). Timing is reported, never asserted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { startRuntime, type Runtime } from '../app/runtime.ts';
import { freePort, median, num, sleep } from './util.ts';

const KEY = 'bench_console_key_0001';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 1000);
const RUNS = arg('runs', 5);
const SCREENSHOTS = process.argv.includes('--screenshots');
const note = (message: string) => process.stderr.write(`[bench:console] ${message}\n`);

async function post(url: string, events: unknown[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const r = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(events.slice(i, i + 500)) });
    if (r.status !== 200) throw new Error(`POST /v1/events answered ${r.status}`);
  }
}

async function getJson(url: string, route: string): Promise<any> {
  const r = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${KEY}` } });
  return r.status === 200 ? r.json() : null;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** A customer with a long history, a merge, consent, tags, and a pair for the review queue. */
async function seed(url: string): Promise<string> {
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 1) + minutes * 60_000).toISOString();
  const person = (id: string, email: string, traits: Record<string, string>, extra: Record<string, unknown> = {}) => ({ event_id: id, source: 'crm', type: 'contact_created', occurred_at: at(0), identity: { email }, traits, ...extra });
  await post(url, [
    person('b-1', 'lena.fischer@bench.test', { first_name: 'Lena', last_name: 'Fischer', city: 'Hamburg', country: 'DE', date_of_birth: '1988-06-02' }, { identity: { email: 'lena.fischer@bench.test', source_record_id: 'C-1' }, properties: { tags: ['vip', 'newsletter'], status: 'active', lifecycle_stage: 'CUSTOMER' } }),
    { event_id: 'b-2', source: 'crm', type: 'consent_changed', occurred_at: at(1), identity: { email: 'lena.fischer@bench.test' }, properties: { scope: 'email', status: 'granted', policy_version: 'v3' } },
    person('b-3', 'mo.1@bench.test', { first_name: 'Margaret', last_name: 'Okonkwo', date_of_birth: '1971-03-14', city: 'Leeds', postal_code: 'LS1 4AP' }),
    { event_id: 'b-4', source: 'web', type: 'page_viewed', occurred_at: at(2), identity: { anonymous_id: 'anon-b-1' }, properties: { url: '/' } },
  ]);
  const lena = await until('the first profile', async () => (await getJson(url, '/v1/profiles?email=lena.fischer%40bench.test'))?.customer360_id);
  await post(url, [
    person('b-5', 'mo.2@bench.test', { first_name: 'Margaret', last_name: 'Okonkwo', city: 'Leeds', postal_code: 'LS1 4AP' }),
    { event_id: 'b-6', source: 'web', type: 'identify', occurred_at: at(3), identity: { anonymous_id: 'anon-b-1', email: 'lena.fischer@bench.test' } },
    ...Array.from({ length: 12 }, (_, i) => ({ event_id: `b-o-${i}`, source: 'pos', type: 'order_completed', occurred_at: at(100 + i * 1000), identity: { email: 'lena.fischer@bench.test' }, properties: { order_id: `B-${i}`, total_minor: 2500 + i * 300, currency: 'EUR', line_items: [{ sku: `S-${i}`, name: 'Item', category: i % 2 ? 'shoes' : 'bags', quantity: 1, unit_price_minor: 2500 + i * 300, total_minor: 2500 + i * 300 }] } })),
  ]);
  const views = Array.from({ length: Math.max(0, EVENTS - 16) }, (_, i) => ({ event_id: `b-v-${i}`, source: 'web', type: 'page_viewed', occurred_at: at(10 + i), identity: { email: 'lena.fischer@bench.test' }, properties: { url: `/p/${i}` } }));
  await post(url, views);
  await until(`${EVENTS} timeline events`, async () => {
    let count = 0;
    let cursor = '';
    for (;;) {
      const page = await getJson(url, `/v1/profiles/${lena}/timeline?limit=500${cursor}`);
      if (!page) return false;
      count += page.events.length;
      if (!page.next) break;
      cursor = `&before=${page.next}`;
    }
    return count >= EVENTS;
  });
  await until('a suggested match', async () => (await getJson(url, '/v1/identity/review'))?.suggested_matches.length > 0);
  return lena;
}

/** performance.now() in the page when `selector` is visible and enabled: the time since its navigation began. */
async function readyAt(page: Page, selector: string): Promise<number> {
  await page.locator(selector).first().waitFor({ state: 'visible' });
  await page.locator(selector).first().isEnabled();
  return page.evaluate(() => performance.now());
}

async function measure(browser: Browser, url: string, profile: string) {
  const results = { console: [] as number[], signIn: [] as number[], profile: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${url}/console/`);
    results.console.push(await readyAt(page, '[data-testid="signin-key"]'));
    await page.getByTestId('signin-key').fill(KEY);
    const before = await page.evaluate(() => performance.now());
    await page.getByTestId('signin-submit').click();
    results.signIn.push((await readyAt(page, '[data-testid="search-input"]')) - before);
    // A new page of the signed-in tab's session: the navigation straight to the profile.
    const second = await context.newPage();
    await second.addInitScript((key) => sessionStorage.setItem('c360.console.key', key), KEY);
    await second.goto(`${url}/console/#/profiles/${profile}`);
    await second.locator('[data-testid="profile-field-primary_email"]').filter({ hasText: '@' }).waitFor();
    results.profile.push(await readyAt(second, '[data-testid="timeline-event"]'));
    await context.close();
  }
  return results;
}

async function screenshots(browser: Browser, url: string, profile: string): Promise<void> {
  const dir = path.join(root, 'docs/console');
  fs.mkdirSync(dir, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript((key) => sessionStorage.setItem('c360.console.key', key), KEY);
  const page = await context.newPage();
  const shot = async (route: string, name: string, ready: string) => {
    await page.goto(`${url}/console/${route}`);
    await page.locator(ready).first().waitFor();
    await sleep(600);
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
  };
  await page.goto(`${url}/console/#/search`);
  await page.getByTestId('search-input').fill('lena');
  await page.getByTestId('search-result').first().waitFor();
  await page.screenshot({ path: path.join(dir, 'search.png') });
  await shot(`#/profiles/${profile}`, 'profile', '[data-testid="timeline-event"]');
  await page.getByTestId('why').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(dir, 'why.png') });
  await shot('#/review', 'review', '[data-testid="review-row"]');
  await shot('#/health', 'health', '[data-testid="health-chart"] canvas');
  const narrow = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await narrow.addInitScript((key) => sessionStorage.setItem('c360.console.key', key), KEY);
  const phone = await narrow.newPage();
  await phone.goto(`${url}/console/#/profiles/${profile}`);
  await phone.locator('[data-testid="profile-field-primary_email"]').filter({ hasText: '@' }).waitFor();
  await phone.screenshot({ path: path.join(dir, 'profile-390.png') });
  await narrow.close();
  await context.close();
  note(`screenshots in ${path.relative(root, dir)}/`);
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-bench-console-'));
  let runtime: Runtime | null = null;
  let browser: Browser | null = null;
  try {
    note('starting the embedded runtime');
    runtime = await startRuntime(loadConfig({}, { dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn', apiKeys: `${KEY}:bench`, embeddedPostgresPort: await freePort() }), createLogger('warn', process.stderr));
    const url = runtime.url!;
    note(`seeding a customer with ${num(EVENTS)} timeline events`);
    const profile = await seed(url);
    browser = await chromium.launch({ executablePath: process.env.C360_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    note(`measuring ${RUNS} runs`);
    const r = await measure(browser, url, profile);
    const row = (name: string, v: number[]) => `| ${name} | ${num(median(v))} ms | ${num(Math.min(...v))}-${num(Math.max(...v))} ms |`;
    process.stdout.write(
      [
        `| time to interactive (${RUNS} runs, fresh context each) | median | range |`,
        '| --- | --- | --- |',
        row('console: navigation to the sign-in field', r.console),
        row('sign-in to the search box', r.signIn),
        row(`profile with ${num(EVENTS)} timeline events: navigation to its fields and first timeline page`, r.profile),
        '',
        JSON.stringify({ bench: 'console', events: EVENTS, runs: RUNS, console_ms: median(r.console), sign_in_ms: median(r.signIn), profile_ms: median(r.profile) }),
        '',
      ].join('\n'),
    );
    if (SCREENSHOTS) await screenshots(browser, url, profile);
  } finally {
    await browser?.close();
    await runtime?.stop();
    const { drainPending } = await import('chdb');
    await drainPending();
    fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:console failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
