/**
 * The headless Chromium (Debian `chromium`, driven by playwright-core) shared by the tests of one
 * file: launched on first use, closed after the file. A missing or broken Chromium rejects with
 * an actionable message, so the tests fail; they never skip.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // The wss:// tests use a self-signed certificate made for the run.
  '--ignore-certificate-errors',
];

let launching: Promise<Browser> | undefined;

// Registered while the importing file declares its tests, as ava requires of hooks.
test.after.always(async () => {
  if (launching) await launching.then((b) => b.close()).catch(() => undefined);
});

/** The file's browser, launched on first use. */
export function browser(): Promise<Browser> {
  launching ??= (async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`These tests need Chromium but ${CHROMIUM} does not exist: apt-get install -y chromium`);
    }
    try {
      return await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60000 });
    } catch (err) {
      throw new Error(`Chromium at ${CHROMIUM} failed to launch: ${(err as Error).message}`);
    }
  })();
  return launching;
}
