/**
 * Headless Chromium for checking the HTML reports as a reader sees them:
 * Debian's /usr/bin/chromium driven by playwright-core (no browser
 * download), started with a fresh profile and without background traffic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { requireBinary } from './launch';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Headless {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh --user-data-dir (removed on close). */
export async function headlessChromium(viewport = { width: 1400, height: 1000 }): Promise<Headless> {
  const executablePath = requireBinary('chromium');
  const profile = mkdtempSync(join(tmpdir(), 'tlsprop-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type { Browser };
