/**
 * The console in headless Chromium on the embedded stack, flow by flow: sign in, find a
 * customer, the 360 view and its timeline, why a profile is one person and a split, approving
 * and rejecting suggested matches, a segment made with the rule language (an error at its field,
 * a preview, the save), the pipeline's health charts; another tenant's key sees none of it; no
 * personal data in any URL the page visits; readable at 390 pixels wide.
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, signIn, strictPage } from './support/browser.ts';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_A_INGEST, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const PERSONAL = ['ines.moreau', 'margaret', 'okonkwo', '4155550142', '%40', '@'];

describe('the console', () => {
  let t: TestRuntime;
  let browser: Browser;
  let ines: string;
  let merged: { survivor: string; merged: string };

  beforeAll(async () => {
    t = await startTestRuntime();
    browser = await launchBrowser();
    const person = (id: string, email: string, traits: Record<string, string>, extra: Record<string, unknown> = {}) => ({
      event_id: id,
      source: 'crm',
      type: 'contact_created',
      occurred_at: '2026-04-01T10:00:00Z',
      identity: { email },
      traits,
      ...extra,
    });
    await t.request('POST', '/v1/events', KEY_A, [
      person('cs-1', 'ines.moreau@console.test', { first_name: 'Inès', last_name: 'Moreau', city: 'Lyon' }, { identity: { email: 'ines.moreau@console.test', source_record_id: 'C-INES' }, properties: { tags: ['vip'] } }),
      { event_id: 'cs-2', source: 'pos', type: 'order_completed', occurred_at: '2026-04-02T10:00:00Z', identity: { email: 'ines.moreau@console.test', phone: '+1 415 555 0142' }, properties: { order_id: 'CS-1', total_minor: 4200, currency: 'EUR' } },
      { event_id: 'cs-c1', source: 'crm', type: 'consent_changed', occurred_at: '2026-04-01T11:00:00Z', identity: { email: 'ines.moreau@console.test' }, properties: { scope: 'email', status: 'granted', policy_version: 'v3' } },
      { event_id: 'cs-c2', source: 'messaging', type: 'unsubscribed', occurred_at: '2026-04-05T11:00:00Z', identity: { email: 'ines.moreau@console.test' }, properties: { channel: 'email', campaign_id: 'spring' } },
      person('cs-3', 'mo.1@console.test', { first_name: 'Margaret', last_name: 'Okonkwo', date_of_birth: '1971-03-14', city: 'Leeds', postal_code: 'LS1 4AP' }),
      person('cs-7', 'td.1@console.test', { first_name: 'Thandiwe', last_name: 'Dube', date_of_birth: '1985-09-02', city: 'Bristol', postal_code: 'BS1 5TR' }),
    ]);
    // A visitor's profile, merged into Inès's by her later identify: a merge to explain and split.
    await t.request('POST', '/v1/events', KEY_A, [{ event_id: 'cs-4', source: 'web', type: 'page_viewed', occurred_at: '2026-04-01T09:00:00Z', identity: { anonymous_id: 'anon-cs-1' }, properties: { url: '/shoes' } }]);
    await waitFor(async () => (await t.request('GET', '/v1/profiles?anonymous_id=anon-cs-1', KEY_A)).status === 200, 30_000, 'the visitor');
    await t.request('POST', '/v1/events', KEY_A, [
      { event_id: 'cs-5', source: 'web', type: 'identify', occurred_at: '2026-04-03T10:00:00Z', identity: { anonymous_id: 'anon-cs-1', email: 'ines.moreau@console.test' } },
      person('cs-6', 'mo.2@console.test', { first_name: 'Margaret', last_name: 'Okonkwo', city: 'Leeds', postal_code: 'LS1 4AP' }),
      person('cs-8', 'td.2@console.test', { first_name: 'Thandiwe', last_name: 'Dube', city: 'Bristol', postal_code: 'BS1 5TR' }),
    ]);
    const profile = await waitFor(async () => {
      const r = await t.request('GET', '/v1/profiles?email=ines.moreau%40console.test', KEY_A);
      return r.status === 200 && r.body.merged_ids.length === 1 ? r.body : null;
    }, 30_000, 'the merged profile');
    ines = profile.customer360_id;
    merged = { survivor: profile.customer360_id, merged: profile.merged_ids[0] };
    await waitFor(async () => (await t.request('GET', '/v1/identity/review', KEY_A)).body.suggested_matches.length >= 2, 30_000, 'two suggested matches');
    // A profile with a long history, for the timeline's paging.
    await t.request(
      'POST',
      '/v1/events',
      KEY_A,
      Array.from({ length: 60 }, (_, i) => ({ event_id: `cs-pv-${i}`, source: 'web', type: 'page_viewed', occurred_at: new Date(Date.UTC(2026, 4, 1, 0, i)).toISOString(), identity: { email: 'ines.moreau@console.test' }, properties: { url: `/p/${i}` } })),
    );
    await waitFor(async () => (await t.request('GET', `/v1/profiles/${ines}/timeline?limit=100`, KEY_A)).body.events?.length >= 63, 30_000, 'the timeline');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** Every URL the page went to, to check none holds personal data. */
  const urlsOf = (page: Page) => {
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    page.on('framenavigated', (f) => urls.push(f.url()));
    return urls;
  };
  const noPersonalData = (urls: string[]) => {
    for (const u of urls) for (const p of PERSONAL) expect(u.toLowerCase(), u).not.toContain(p);
  };

  it('signs in with a key, refuses an ingest key, and keeps the key out of URLs and local storage', async () => {
    const { page, errors } = await strictPage(browser);
    const urls = urlsOf(page);
    await page.goto(`${t.url}/console/`);
    await page.getByTestId('signin-key').fill(KEY_A_INGEST);
    await page.getByTestId('signin-submit').click();
    await page.getByText(/may only send events/).waitFor();
    await page.getByTestId('signin-key').fill(KEY_A);
    await page.getByTestId('signin-submit').click();
    await expect.poll(() => page.getByTestId('whoami').textContent()).toContain('tenant_a');
    expect(await page.evaluate(() => Object.keys(localStorage).length)).toBe(0);
    for (const u of urls) expect(u).not.toContain(KEY_A);
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
    await page.context().close();
  });

  it('finds a customer as one types and opens the 360 view with its timeline, paged', async () => {
    const { page, errors } = await strictPage(browser);
    const urls = urlsOf(page);
    await signIn(page, t.url, KEY_A);
    await page.goto(`${t.url}/console/#/search`);
    await page.getByTestId('search-input').fill('ines.mor');
    await page.getByTestId('search-result').first().waitFor();
    await page.getByTestId('search-input').press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/profiles/${ines}$`));
    await expect.poll(() => page.getByTestId('profile-field-primary_email').textContent()).toContain('ines.moreau@console.test');
    expect(await page.getByTestId('profile-field-full_name').textContent()).toContain('Inès Moreau');
    expect(await page.getByTestId('profile-field-tags').textContent()).toContain('vip');
    // Consent per channel with its versions.
    await expect.poll(() => page.getByTestId('consent-version').count()).toBe(2);
    expect(await page.getByTestId('consent-history').textContent()).toMatch(/v2 revoked[\s\S]*v1 granted · policy v3/);
    await expect.poll(() => page.getByTestId('timeline-event').count()).toBe(50);
    await page.getByTestId('timeline-more').click();
    await expect.poll(() => page.getByTestId('timeline-event').count()).toBeGreaterThanOrEqual(63);
    noPersonalData(urls);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows why a profile is one person and splits a merge after a confirmation', async () => {
    const { page, errors } = await strictPage(browser);
    await signIn(page, t.url, KEY_A);
    await page.goto(`${t.url}/console/#/profiles/${merged.survivor}`);
    await page.getByTestId('merge-row').first().waitFor();
    expect(await page.getByTestId('merge-row').first().textContent()).toMatch(/anonymous_id|email/);
    await page.getByTestId('split-button').first().click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-ok').click();
    await waitFor(async () => (await t.request('GET', `/v1/profiles/${merged.merged}`, KEY_A)).body.customer360_id === merged.merged, 30_000, 'the split');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('approves and rejects suggested matches from the review queue', async () => {
    const { page, errors } = await strictPage(browser);
    await signIn(page, t.url, KEY_A);
    await page.goto(`${t.url}/console/#/review`);
    const row = (name: string) => page.getByTestId('review-row').filter({ hasText: name });
    await expect.poll(() => row('Okonkwo').count()).toBe(1);
    await expect.poll(() => row('Dube').count()).toBe(1);
    // Selected and rejected in bulk; the other approved on its own row.
    await row('Okonkwo').getByTestId('review-select').check();
    await page.getByTestId('review-bulk-reject').click();
    await row('Dube').getByTestId('review-approve').click();
    const statusOf = async (name: string) =>
      (await t.db.pool.query<{ status: string }>(
        `SELECT r.status FROM match_reviews r JOIN identifiers i ON i.tenant_id = r.tenant_id AND i.type = 'email' AND i.customer360_id IN (r.customer360_id, r.candidate_id)
          WHERE r.tenant_id = 'tenant_a' AND i.value = $1 LIMIT 1`,
        [name],
      )).rows[0]?.status;
    await expect.poll(() => statusOf('mo.1@console.test')).toBe('rejected');
    await expect.poll(() => statusOf('td.1@console.test')).toBe('approved');
    // The two Thandiwe profiles are one now.
    const one = (await t.request('GET', '/v1/profiles?email=td.1%40console.test', KEY_A)).body;
    expect(one.emails.sort()).toEqual(['td.1@console.test', 'td.2@console.test']);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('makes a segment with the rule language: an error at its field, a preview, the save', async () => {
    const { page, errors } = await strictPage(browser);
    await signIn(page, t.url, KEY_A);
    await page.goto(`${t.url}/console/#/segments`);
    await page.getByTestId('segment-new').click();
    await page.getByTestId('segment-id').fill('console-vip');
    await page.getByTestId('segment-name').fill('VIP from the console');
    await page.getByTestId('segment-rule').fill('{"field": "tagz", "op": "contains", "value": "vip"}');
    await page.getByTestId('segment-preview').click();
    await expect.poll(() => page.getByTestId('segment-error').first().getAttribute('data-path')).toBe('/rule/field');
    await page.getByTestId('segment-rule').fill('{"field": "tags", "op": "contains", "value": "vip"}');
    await page.getByTestId('segment-preview').click();
    await expect.poll(() => page.getByTestId('segment-preview-count').textContent()).toContain('1');
    await page.getByTestId('segment-save').click();
    // Saved: the page moves to the segment, and the list has it.
    await page.waitForURL(/#\/segments\/console-vip$/);
    expect((await t.request('GET', '/v1/segments/console-vip', KEY_A)).body).toMatchObject({ name: 'VIP from the console', members: 1 });
    await page.getByRole('navigation').getByRole('link', { name: 'Segments', exact: true }).click();
    await expect.poll(() => page.locator('[data-testid="segment-row"][data-segment-id="console-vip"]').textContent()).toContain('VIP from the console');
    // Export CSV: a download of the members, the key never in a URL.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="segment-row"][data-segment-id="console-vip"]').getByTestId('segment-export').click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toContain('customer360_id');
    expect(csv).toContain('ines.moreau@console.test');
    // The refused preview is the one failed request the browser reports.
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    await page.context().close();
  });

  it('draws the pipeline health charts', async () => {
    const { page, errors } = await strictPage(browser);
    await signIn(page, t.url, KEY_A);
    await page.goto(`${t.url}/console/#/health`);
    await expect.poll(() => page.getByTestId('health-chart').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('[data-testid="health-chart"][data-series="events_in"] canvas').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows another tenant's key none of it", async () => {
    const { page } = await strictPage(browser);
    await signIn(page, t.url, KEY_B);
    await page.goto(`${t.url}/console/#/search`);
    await page.getByTestId('search-input').fill('ines.mor');
    await page.waitForTimeout(800);
    expect(await page.getByTestId('search-result').count()).toBe(0);
    await page.goto(`${t.url}/console/#/profiles/${ines}`);
    await page.waitForTimeout(800);
    expect(await page.content()).not.toContain('ines.moreau@console.test');
    await page.goto(`${t.url}/console/#/segments`);
    await page.waitForTimeout(800);
    expect(await page.locator('[data-segment-id="console-vip"]').count()).toBe(0);
    await page.context().close();
  });

  it('labels every control for screen readers and reaches the screens by keyboard', async () => {
    const { page, errors } = await strictPage(browser);
    await signIn(page, t.url, KEY_A);
    for (const route of ['#/search', `#/profiles/${ines}`, '#/review', '#/segments', '#/health']) {
      await page.goto(`${t.url}/console/${route}`);
      await page.waitForTimeout(600);
      const unnamed = await page.evaluate(() => {
        const nameOf = (el: Element) => {
          const labelled = el.getAttribute('aria-labelledby');
          const byId = labelled ? labelled.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ') : '';
          const labels = 'labels' in el ? [...((el as HTMLInputElement).labels ?? [])].map((l) => l.textContent ?? '').join(' ') : '';
          return `${el.getAttribute('aria-label') ?? ''} ${byId} ${labels} ${el.tagName === 'BUTTON' || el.tagName === 'A' ? (el.textContent ?? '') : ''} ${el.getAttribute('title') ?? ''}`.trim();
        };
        return [...document.querySelectorAll('input, textarea, select, button, a[href]')].filter((el) => nameOf(el) === '').map((el) => el.outerHTML.slice(0, 120));
      });
      expect(unnamed, route).toEqual([]);
      expect(await page.locator('main h1').count(), route).toBe(1);
    }
    // From the top of the page, Tab reaches the navigation and Enter follows it.
    await page.goto(`${t.url}/console/#/search`);
    await page.waitForTimeout(300);
    let focused = '';
    for (let i = 0; i < 12 && focused !== 'Review queue'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    }
    expect(focused).toBe('Review queue');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/review$/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('reads at 390 pixels wide without scrolling sideways', async () => {
    const { page, errors } = await strictPage(browser, { width: 390, height: 844 });
    await signIn(page, t.url, KEY_A);
    for (const route of ['#/search', `#/profiles/${ines}`, '#/review', '#/segments', '#/health']) {
      await page.goto(`${t.url}/console/${route}`);
      await page.waitForTimeout(500);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, route).toBeLessThanOrEqual(1);
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
