/**
 * docs/report.png: the HTML report of `tlsprop run --target` against a real
 * server (openssl s_server, client certificates required, judged with
 * --strictness exact so that its alert choices show as findings), as
 * headless Chromium shows it at the top, without scrolling.
 *
 *     node -r esbuild-register tools/report-screenshot.ts [OUT.png]
 */
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../cli/main';
import { headlessChromium } from '../testing/browser';
import { freePort, launch } from '../testing/launch';
import { opensslServer } from '../testing/peers';
import { writePki } from '../testing/pki';

async function shoot(): Promise<void> {
  const png = resolve(process.argv[2] ?? 'docs/report.png');
  const files = await writePki();
  const port = await freePort();
  const server = await launch(opensslServer({ port, files, key: 'rsa', clientAuth: true }));
  const out = mkdtempSync(join(tmpdir(), 'tlsprop-shot-'));
  try {
    await main([
      'run',
      '--target',
      `127.0.0.1:${port}`,
      '--name',
      'openssl s_server 3.0',
      '--cert',
      files.client.rsa.cert,
      '--key',
      files.client.rsa.key,
      '--ca',
      files.ca,
      '--strictness',
      'exact',
      '--seed',
      '3',
      '--out',
      out,
    ]);
  } finally {
    await server.stop();
    files.cleanup();
  }
  const browser = await headlessChromium({ width: 1400, height: 1100 });
  try {
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(join(out, 'index.html')).href);
    await page.screenshot({ path: png });
    console.log(`${png} (report in ${out})`);
  } finally {
    await browser.close();
  }
}

void shoot();
