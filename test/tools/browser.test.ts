/**
 * The web checker in a real browser: playwright-core drives Debian's Chromium, with JavaScript
 * switched off (the page must not need it), types a domain of the simulated Internet into the
 * form, submits, lands on the shareable `/?domain=` URL and sees the verdict and the fix; a
 * second domain that works shows its verdict too. It saves a screenshot of the report
 * (`DANE_MTA_SCREENSHOT=docs/checker.png` writes the one the README shows; otherwise a temporary
 * file). Follows the interop skip/fail rule: skipped without /usr/bin/chromium unless
 * DANE_MTA_INTEROP=1. Loopback only, lab base address 127.112.0.0.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { DEMO_SCENARIOS, scenarioById, startInternet, type Scenario } from '../../src/lab/index.ts';
import { systemClock } from '../../src/util/index.ts';
import { startWebChecker } from '../../src/web/index.ts';
import { requireTools } from '../interop/index.ts';
import { labResolver } from './scenarios.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

test('a browser without JavaScript checks a domain through the form and sees the verdict', async (t) => {
  if (!requireTools(t, ['chromium'])) return;
  const scenarios = [...DEMO_SCENARIOS, scenarioById('ta-201') as Scenario];
  const net = await startInternet({ scenarios, baseAddress: '127.112.0.0' });
  t.after(() => net.close());
  const web = await startWebChecker({
    resolver: labResolver(net),
    clock: systemClock,
    listen: { address: '127.112.255.1', port: 0 },
    smtpPort: net.smtpPort,
    smtpTimeoutMs: 5000,
    allowPrivate: true,
  });
  t.after(() => web.close());
  const profile = await mkdtemp(join(tmpdir(), 'dane-mta-chromium-'));
  t.after(() => rm(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    javaScriptEnabled: false,
    viewport: { width: 1280, height: 900 },
  });
  t.after(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());

  await page.goto(web.url);
  assert.equal(await page.title(), 'DANE checker');
  await page.fill('#domain', 'botched-renewal.test');
  await Promise.all([page.waitForURL(/\?domain=botched-renewal\.test$/), page.click('button[type=submit]')]);
  assert.equal(new URL(page.url()).search, '?domain=botched-renewal.test', 'the report has a link to share');
  const verdict = await page.textContent('#verdict');
  assert.match(verdict ?? '', /^Error — DANE fails or mail is deferred/);
  const findings = await page.textContent('#findings');
  assert.match(findings ?? '', /tlsa-no-match/);
  assert.match(
    findings ?? '',
    new RegExp(`publish _${net.smtpPort}\\._tcp\\.mx\\.botched-renewal\\.test\\. IN TLSA 3 1 1 [0-9a-f]{64}`),
  );
  assert.equal(await page.inputValue('#domain'), 'botched-renewal.test');

  const shot = process.env['DANE_MTA_SCREENSHOT'] ?? join(profile, 'checker.png');
  await page.screenshot({ path: resolve(shot), fullPage: true });
  assert.ok((await stat(resolve(shot))).size > 10_000, 'a screenshot was written');

  await page.fill('#domain', 'ta-201.test');
  await Promise.all([page.waitForURL(/\?domain=ta-201\.test$/), page.click('button[type=submit]')]);
  assert.match((await page.textContent('#verdict')) ?? '', /^OK — no problems found/);
  assert.match((await page.textContent('#hosts')) ?? '', /validated \(depth 1\)/);
});
