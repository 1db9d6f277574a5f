/**
 * A real headless Chromium for report.html tests, driven by playwright-core
 * with the system's browser (Debian's `chromium`; no browser download). Tests
 * skip, saying why, where no browser is installed.
 *
 * ```ts
 * const page = await openOffline(browser, 'file:///tmp/report.html');
 * page.requests; // every non-file request the page tried (all aborted)
 * ```
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(
  (p): p is string => Boolean(p),
);

/** The browser executable, or null when this machine has none. */
export const chromiumPath: string | null = CANDIDATES.find((p) => existsSync(p)) ?? null;

export const NO_BROWSER = `no Chromium at ${CANDIDATES.join(', ')} (apt-get install chromium, or set CHROMIUM_PATH): browser tests skipped`;

export interface HeadlessChromium {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium headless with a fresh profile folder, which close() removes. */
export async function launchChromium(): Promise<HeadlessChromium> {
  if (!chromiumPath) throw new Error(NO_BROWSER);
  const profile = await mkdtemp(path.join(tmpdir(), 'specbias-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  return {
    browser: context.browser()!,
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface OfflinePage {
  page: Page;
  /** Requests to anything but file: URLs (each was aborted). */
  requests: string[];
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
}

/** Opens `url` with every non-file request aborted and recorded, and console errors collected. */
export async function openOffline(chrome: HeadlessChromium, url: string): Promise<OfflinePage> {
  const page = await chrome.context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith('file:')) return route.continue();
    requests.push(u);
    return route.abort();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, requests, errors };
}
