// Debian's Chromium as every browser test launches it (driven by playwright-core; never a
// downloaded browser): headless, no sandbox, no background traffic.
import { chromium } from 'playwright-core';
import { startServer } from '../../www/serve.mjs';

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** What every browser test file starts with: www/serve.mjs on a free port, and Chromium.
 *  `close()` stops both. */
export async function startSite() {
  const server = await startServer(0);
  const browser = await launchChromium();
  return {
    server,
    browser,
    base: `http://127.0.0.1:${server.address().port}`,
    async close() {
      await browser.close();
      server.close();
    },
  };
}
