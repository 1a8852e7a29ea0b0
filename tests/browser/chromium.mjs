// Debian's Chromium, headless, through playwright-core: one launch for every
// browser test script (play.mjs, page.mjs). A missing piece is a FAIL line
// and exit status 1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A fresh profile each run (playwright passes it as --user-data-dir); flags
// safe as root; muted autoplay without a user gesture.
export async function launchChromium(executable) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    console.error('FAIL: playwright-core missing: run npm ci in tests/browser');
    process.exit(1);
  }
  if (!fs.existsSync(executable)) {
    console.error(`FAIL: ${executable} not found: apt-get install chromium`);
    process.exit(1);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-chromium-'));
  try {
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: executable,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--autoplay-policy=no-user-gesture-required'],
    });
    return { browser, profile };
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
