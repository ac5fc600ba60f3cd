/**
 * The HTML report as a reader's browser shows it: headless Chromium
 * (Debian's, driven by playwright-core) loads index.html from disk, with no
 * console error and nothing fetched, and the findings table filters.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { headlessChromium, type Headless } from '../testing/browser';
import { buildCoverage } from './coverage';
import { renderReports } from './render';
import { sampleRunInput } from './testing/sample';

describe('index.html in headless Chromium', () => {
  let browser: Headless;
  let url: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tlsprop-html-'));
    renderReports(buildCoverage(sampleRunInput()), { outDir: dir, formats: ['html'] });
    url = pathToFileURL(join(dir, 'index.html')).href;
    browser = await headlessChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no console error and no request off the page; the findings table filters', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    expect(await page.title()).toMatch(/tlsprop report/);
    // what failed, which RFC sentence, the bytes and the replay, at the top
    const findings = page.locator('#findings-table tbody tr.finding');
    expect(await findings.count()).toBe(3);
    await expect(page.locator('#finding-count').textContent()).resolves.toBe('3 of 3 findings');
    const first = page.locator('#findings-table details[open]');
    expect(await first.count()).toBe(1);
    expect(await page.locator('#findings-table .replay').first().textContent()).toContain('--seed 31 --path 7:0');
    expect(await page.locator('#findings-table .hex').first().textContent()).toContain('0000  14 00 00 0c');
    // filter by text, then by target
    await page.fill('#finding-filter', 'finished-before');
    await expect(page.locator('#finding-count').textContent()).resolves.toBe('1 of 3 findings');
    expect(await findings.filter({ hasText: 'finished-before-cke' }).isVisible()).toBe(true);
    await page.fill('#finding-filter', '');
    await page.selectOption('#finding-target', 'gnutls');
    await expect(page.locator('#finding-count').textContent()).resolves.toBe('1 of 3 findings');
    // the rule table still filters too
    await page.fill('#rule-filter', 'record');
    expect(await page.locator('#rule-count').textContent()).toMatch(/^1 of 4 rules$/);
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
  });
});
