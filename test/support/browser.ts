/**
 * Headless Chromium for the console's browser tests: Debian's chromium (installed by
 * scripts/prepare-test-engines.js when missing) driven by playwright-core.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.C360_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A page that fails the test on any error the page itself reports (console errors, uncaught exceptions). */
export async function strictPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { page, errors };
}

/** Signs in with an API key on the console at `url`. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/console/`);
  await page.getByTestId('signin-key').fill(key);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('whoami').waitFor();
}
