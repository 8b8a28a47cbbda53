/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser):
 * one launch per test file, a fresh profile each time (Playwright's own
 * temporary one), and screenshots saved
 * for review under test/dashboard/screenshots/ (not committed).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { describe, it } from 'vitest';
import type { Dashboard } from '../../src/dashboard.ts';
import { serveDashboard } from './dashboard-helpers.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(import.meta.dirname, 'screenshots');

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

export interface LaunchedBrowser {
  readonly browser: Browser;
  /** A new context (cookies of its own), light or dark. */
  context(colorScheme?: 'light' | 'dark'): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Launches Chromium; Playwright gives it a fresh temporary profile (user data dir) and removes it on close. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
  return {
    browser,
    context: (colorScheme = 'light') =>
      browser.newContext({ colorScheme, viewport: { width: 1280, height: 860 } }),
    close: () => browser.close(),
  };
}

/** Serves the dashboard on loopback and opens a page for it; `done` closes the page, the server and the dashboard. */
export async function openDashboard(
  launched: LaunchedBrowser,
  dashboard: Dashboard,
): Promise<{ origin: string; page: Page; done: () => Promise<void> }> {
  const { origin, close } = await serveDashboard(dashboard);
  const context = await launched.context();
  return {
    origin,
    page: await context.newPage(),
    done: async () => {
      await context.close();
      await close();
      await dashboard.close();
    },
  };
}

/** Saves a full-page screenshot as screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Registers the browser tests when Chromium is installed. Without it they
 * fail under CI=true (.ci/run installs it) and are skipped elsewhere, with a message.
 */
export function describeWithBrowser(title: string, register: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(title, register);
    return;
  }
  const message = `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') {
    describe(title, () => {
      it('needs Chromium', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`Skipping "${title}": ${message}`);
  describe.skip(`${title} (skipped: ${message})`, () => {
    it('needs Chromium', () => {});
  });
}
