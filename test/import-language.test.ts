/**
 * One name for a person's language: an export's Language (or Locale, Preferred Language)
 * column becomes the trait `language`, which the profile and the customer360 view show.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../ingest/import/index.ts';
import { waitFor } from './support/engines.ts';
import { KEY_A, startTestRuntime, type TestRuntime } from './support/runtime.ts';

describe('the language of an imported contact', () => {
  let t: TestRuntime;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-language-'));

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reaches the profile and the customer360 view under one name', async () => {
    const input = path.join(dir, 'contacts.csv');
    fs.writeFileSync(input, 'Contact ID,Email,First Name,Language\nC-1,ines.moreau@mail.test,Inès,fr-FR\nC-2,ravi.nair@mail.test,Ravi,\n');
    const summary = await runImport({ input, url: t.url, apiKey: KEY_A }, {});
    expect(summary).toMatchObject({ status: 'completed', accepted: 2 });

    const profile = await waitFor(async () => {
      const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent('ines.moreau@mail.test')}`, KEY_A);
      return r.status === 200 ? r.body : null;
    }, 30_000, 'the imported profile');
    expect(profile.traits.language).toBe('fr-FR');
    expect(profile.traits).not.toHaveProperty('locale');

    const rows = await waitFor(async () => {
      const r = await t.request('POST', '/v1/sql', KEY_A, { query: "SELECT primary_email, language FROM customer360 WHERE primary_email IN ('ines.moreau@mail.test', 'ravi.nair@mail.test') ORDER BY primary_email" });
      return r.status === 200 && r.body.rows.length === 2 ? r.body.rows : null;
    }, 30_000, 'the two contacts in customer360');
    expect(rows).toEqual([
      { primary_email: 'ines.moreau@mail.test', language: 'fr-FR' },
      { primary_email: 'ravi.nair@mail.test', language: null },
    ]);
  });
});
