/**
 * The `npm start` demo (`demo/server.mjs` + `demo/index.html`) driven in headless Chromium
 * (Debian `chromium` through playwright-core): the echo latency meter counts round trips, two users
 * chat (broadcast to both, join and leave lines), and a screenshot of the page is taken. Plus the
 * script itself, as `npm start` runs it. A missing Chromium fails the tests; it never skips them.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startDemo, type Demo } from '../demo/server.mjs';
import { WebSocket } from './helpers.ts';
import { browser } from './helpers-chromium.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A new user: its own browser context (no shared storage) with the demo page open. */
async function user(demo: Demo): Promise<Page> {
  const context = await (await browser()).newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  await page.goto(demo.url);
  return page;
}

/** The chat log's lines. */
const lines = (page: Page): Promise<string[]> => page.locator('#log > div').allTextContents();

/** Waits until the chat log of `page` has a line equal to `text`. */
async function waitForLine(page: Page, text: string): Promise<void> {
  // Page functions are strings: the tests are type-checked without the DOM library.
  await page.waitForFunction(`[...document.querySelectorAll('#log > div')].some((d) => d.textContent === ${JSON.stringify(text)})`, undefined, { timeout: 10000 });
}

test('the latency meter counts echo round trips with a numeric latency', async (t) => {
  const demo = await startDemo({ port: 0 });
  t.teardown(() => demo.close());
  t.regex(demo.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await user(demo);
  t.teardown(() => page.context().close());
  await page.waitForFunction(`Number(document.getElementById('count').textContent) > 3`, undefined, { timeout: 15000 });
  const latency = await page.locator('#latency').textContent();
  t.regex(latency ?? '', /^\d+\.\d{2} ms$/);
  const p50 = Number(await page.locator('#p50').textContent());
  const p99 = Number(await page.locator('#p99').textContent());
  t.true(Number.isFinite(p50) && p50 >= 0, `p50 ${p50}`);
  t.true(Number.isFinite(p99) && p99 >= p50, `p99 ${p99} >= p50 ${p50}`);
});

test('two users chat: messages reach both, join and leave lines appear, and a screenshot is taken', async (t) => {
  const demo = await startDemo({ port: 0 });
  t.teardown(() => demo.close());
  const first = await user(demo);
  t.teardown(() => first.context().close());
  await page_status(first, /^you are guest-1; 1 online$/);
  await waitForLine(first, '→ guest-1 joined (1 online)');

  const second = await user(demo);
  await page_status(second, /^you are guest-2; 2 online$/);
  await waitForLine(first, '→ guest-2 joined (2 online)');
  await waitForLine(second, '→ guest-2 joined (2 online)');

  await first.locator('#text').fill('hello from the first page');
  await first.locator('#form button').click();
  await waitForLine(second, 'guest-1: hello from the first page');
  await waitForLine(first, 'guest-1: hello from the first page');
  t.is(await first.locator('#text').inputValue(), '', 'the input is cleared after sending');

  await second.locator('#text').fill('and hello back');
  await second.locator('#text').press('Enter');
  await waitForLine(first, 'guest-2: and hello back');

  await second.context().close();
  await waitForLine(first, '← guest-2 left (1 online)');
  t.deepEqual(await lines(first), [
    '→ guest-1 joined (1 online)',
    '→ guest-2 joined (2 online)',
    'guest-1: hello from the first page',
    'guest-2: and hello back',
    '← guest-2 left (1 online)',
  ]);

  const dir = mkdtempSync(join(tmpdir(), 'ferrows-demo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'demo.png');
  await first.screenshot({ path: file, fullPage: true });
  t.true(existsSync(file));
  t.true(statSync(file).size > 10 * 1024, `screenshot is ${statSync(file).size} bytes`);
  t.deepEqual([...readFileSync(file).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
});

/** Waits until the chat status line matches. */
async function page_status(page: Page, want: RegExp): Promise<void> {
  await page.waitForFunction(`new RegExp(${JSON.stringify(want.source)}).test(document.getElementById('status').textContent)`, undefined, { timeout: 10000 });
}

test('empty chat messages are not broadcast and long ones are cut to 500 characters', async (t) => {
  const demo = await startDemo({ port: 0 });
  t.teardown(() => demo.close());
  const page = await user(demo);
  t.teardown(() => page.context().close());
  await waitForLine(page, '→ guest-1 joined (1 online)');
  // Straight through the page's socket, bypassing the form's own trimming.
  await page.evaluate(`new Promise((done) => {
    const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/chat');
    ws.onopen = () => {
      ws.send('   ');
      ws.send('x'.repeat(2000));
      ws.close();
      done();
    };
  })`);
  await waitForLine(page, `guest-2: ${'x'.repeat(500)}`);
  t.false((await lines(page)).some((l) => l.startsWith('guest-2:  ')), 'the blank message was dropped');
});

test('the demo answers 404 for other paths and drops upgrades to unknown paths', async (t) => {
  const demo = await startDemo({ port: 0 });
  t.teardown(() => demo.close());
  const missing = await fetch(new URL('/nope', demo.url));
  t.is(missing.status, 404);
  const page = await fetch(demo.url);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html/);
  t.regex(await page.text(), /<title>ferrows demo<\/title>/);
  const ws = new WebSocket(demo.url.replace(/^http/, 'ws') + 'elsewhere');
  const outcome = await new Promise<string>((done) => {
    ws.on('open', () => done('open'));
    ws.on('error', (err: Error) => done(err.message));
  });
  t.regex(outcome, /socket hang up|closed before|ECONNRESET/);
});

test('`npm start` (node demo/server.mjs) serves the page on PORT and prints its address, also through a symlinked path with spaces', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrows demo '));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(join(ROOT, 'demo'), join(dir, 'the demo'), 'dir');
  const script = join(dir, 'the demo', 'server.mjs');
  const child = spawn(process.execPath, [script], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no address printed; stderr: ${err}`)), 15000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /ferrows demo: (http:\/\/\S+\/)/.exec(out);
      if (match) {
        clearTimeout(timer);
        done(match[1]!);
      }
    });
    child.on('exit', (code) => fail(new Error(`the demo exited with ${code}: ${err}`)));
  });
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  t.false(url.endsWith(':0/'), 'the printed address carries the real port');
  const res = await fetch(url);
  t.is(res.status, 200);
  t.regex(await res.text(), /Echo latency/);
});
