/// <reference lib="dom" />
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/index.js';
import { fitLines } from '../../src/report/html-views.js';
import { signChanges } from '../../src/report/projection-figure.js';
import { chromiumPath, launchChromium, NO_BROWSER, openOffline, type HeadlessChromium } from './browser.js';
import { buildFixture, RATES } from './fixture.js';

if (!chromiumPath) console.warn(NO_BROWSER);

describe('report.html', () => {
  let dir: string;
  let dataRoot: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'specbias-html-'));
    dataRoot = await buildFixture(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is self-contained: no external URL in a script, link or image, the libraries and the data inline', async () => {
    const written = await writeReport({ dataRoot, id: 'run-a', outDir: path.join(dir, 'static') });
    const html = await readFile(path.join(written.dir, 'report.html'), 'utf8');
    expect(written.files.map((f) => path.basename(f.path))).toContain('report.html');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/<img[^>]+src="?https?:/i);
    expect(html).toContain('vega-lite/build/vega-lite.min.js');
    expect(html).toContain('vega-embed/build/vega-embed.min.js');
    expect(html).toContain('<details id="manifest">');
    expect(html).toContain('manifest-code-version');
  });

  it('the fitted line has the fitted slope and passes through the window points (pure exponentials)', () => {
    // value = 2 exp(-0.05 t) on [100, 500]: the line must be the curve itself.
    const rows = Array.from({ length: 101 }, (_, i) => ({
      run_id: 'r',
      split: 'train',
      step: i * 10,
      degree: 1,
      source: 'network',
      value: 2 * Math.exp(-RATES[1]! * i * 10),
    }));
    const fit = fitLines(
      rows,
      [{ run_id: 'r', split: 'train', kind: 'target', degree: 1, fitted_rate: RATES[1]!, window_start: 100, window_end: 500 }],
      'target',
    );
    expect(fit.length).toBe(25);
    expect(fit[0]!.step).toBe(100);
    expect(fit.at(-1)!.step).toBe(500);
    for (const p of fit) expect(p.value).toBeCloseTo(2 * Math.exp(-RATES[1]! * p.step), 12);
  });

  it('sign changes: the logged point nearest a zero crossing of the signed projection is marked, and a pure decay has none', () => {
    // s(t) = exp(-0.01 t) (1 - t/101) crosses zero at t = 101; logged every 10 steps, |s| dips at t = 100.
    const signed = Array.from({ length: 31 }, (_, i) => ({
      split: 'train',
      step: i * 10,
      degree: 1,
      source: 'network',
      value: Math.abs(Math.exp(-0.01 * i * 10) * (1 - (i * 10) / 101)),
    }));
    expect([...signChanges(signed)].map((p) => p.step)).toEqual([100]);
    const decay = signed.map((p) => ({ ...p, value: 2 * Math.exp(-0.05 * p.step) }));
    expect(signChanges(decay).size).toBe(0);
  });

  it.skipIf(!chromiumPath)(
    'renders offline in headless Chromium: every view draws marks, no console error, no request leaves the machine',
    async () => {
      const written = await writeReport({ dataRoot, id: 'run-a', outDir: path.join(dir, 'browser') });
      let chrome: HeadlessChromium | undefined;
      try {
        chrome = await launchChromium();
        const { page, requests, errors } = await openOffline(chrome, pathToFileURL(path.join(written.dir, 'report.html')).href);
        await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
        const views = await page.$$eval('.view', (els) =>
          els.map((el) => ({
            id: el.id,
            marks: Number((el as HTMLElement).dataset.marks ?? 0),
            svgItems: el.querySelectorAll('svg .role-mark > *').length,
          })),
        );
        expect(views.map((v) => v.id)).toEqual(['projection-target', 'projection-eigenspace', 'loss', 'spectrum', 'ntk-error']);
        for (const v of views) {
          expect(v.marks, v.id).toBeGreaterThan(0);
          expect(v.svgItems, v.id).toBeGreaterThan(0);
        }
        // The degree selector narrows the projection views to one degree: fewer marks, still some.
        const before = views.find((v) => v.id === 'projection-target')!.marks;
        await page.selectOption('#degree', '2');
        await page.waitForFunction((n) => Number(document.getElementById('projection-target')!.dataset.marks) < n, before);
        const after = await page.$eval('#projection-target', (el) => Number((el as HTMLElement).dataset.marks));
        expect(after).toBeGreaterThan(0);
        // The scale toggle redraws on a linear axis.
        await page.selectOption('#scale', 'linear');
        await page.waitForFunction(() => document.querySelector('#projection-target svg')?.textContent?.includes('linear scale'));
        await page.selectOption('#degree', '-1');
        await page.screenshot({ path: path.join(dir, 'report-html.png'), fullPage: true });
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        // The temp folder goes at the end; SPECBIAS_SCREENSHOT_DIR keeps a copy for a person to look at.
        if (process.env.SPECBIAS_SCREENSHOT_DIR)
          await copyFile(path.join(dir, 'report-html.png'), path.join(process.env.SPECBIAS_SCREENSHOT_DIR, 'report-html.png'));
      } finally {
        await chrome?.close();
      }
    },
    120_000,
  );

  it('a comparison shows only the spec fields that differ, the rates side by side, and overlays every run', async () => {
    const written = await writeReport({ dataRoot, id: 'run-a', ids: ['run-c'], outDir: path.join(dir, 'compare') });
    expect(written).toMatchObject({ kind: 'runs', runIds: ['run-a', 'run-c'] });
    const md = await readFile(path.join(written.dir, 'report.md'), 'utf8');
    // run-a and run-c differ in width only (256 and 1024; both seed 0).
    const params = md.slice(md.indexOf('## Parameters that differ'), md.indexOf('## Fitted rates'));
    expect(params).toContain('| field | run-a | run-c |');
    expect(params).toContain('| model.width | 256 | 1024 |');
    expect(
      params
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('|')),
    ).toHaveLength(3); // header, rule, one field
    // Rates: run-c decays at half of run-a's (fixture).
    expect(md).toContain(`| train | 1 | ${RATES[1]!.toFixed(5)} | ${(RATES[1]! / 2).toFixed(5)} |`);

    // A sweep id brings in its runs; the seeds of run-a and run-b differ too.
    const sweep = await writeReport({ dataRoot, id: 'sw-1', ids: ['run-a'], outDir: path.join(dir, 'compare-sweep') });
    expect(sweep.runIds).toEqual(['run-a', 'run-b', 'run-c']);
    const md3 = await readFile(path.join(sweep.dir, 'report.md'), 'utf8');
    expect(md3).toContain('| seed | 0 | 1 | 0 |');
    expect(md3).toContain('| model.width | 256 | 256 | 1024 |');
  });

  it.skipIf(!chromiumPath)(
    'the comparison page draws both runs overlaid in Chromium, offline',
    async () => {
      const written = await writeReport({ dataRoot, id: 'run-a', ids: ['run-c'], outDir: path.join(dir, 'compare-browser') });
      let chrome: HeadlessChromium | undefined;
      try {
        chrome = await launchChromium();
        const { page, requests, errors } = await openOffline(chrome, pathToFileURL(path.join(written.dir, 'report.html')).href);
        await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
        const text = await page.$eval('#compare-projection-target', (el) => el.textContent ?? '');
        expect(text).toContain('run-a');
        expect(text).toContain('run-c');
        const marks = await page.$eval('#compare-projection-target', (el) => Number((el as HTMLElement).dataset.marks));
        expect(marks).toBeGreaterThan(0);
        // Lines of two runs x 3 degrees x 2 sources in each of the two panels.
        const lines = await page.$$eval('#compare-projection-target svg .mark-line path', (els) => els.length);
        expect(lines).toBe(2 * 3 * 2 * 2);
        await page.screenshot({ path: path.join(dir, 'compare-html.png'), fullPage: true });
        if (process.env.SPECBIAS_SCREENSHOT_DIR)
          await copyFile(path.join(dir, 'compare-html.png'), path.join(process.env.SPECBIAS_SCREENSHOT_DIR, 'compare-html.png'));
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
      } finally {
        await chrome?.close();
      }
    },
    120_000,
  );

  it.skipIf(!chromiumPath)(
    'the sweep page renders every figure in Chromium, offline',
    async () => {
      const written = await writeReport({ dataRoot, id: 'sw-1', outDir: path.join(dir, 'sweep-browser') });
      let chrome: HeadlessChromium | undefined;
      try {
        chrome = await launchChromium();
        const { page, requests, errors } = await openOffline(chrome, pathToFileURL(path.join(written.dir, 'report.html')).href);
        await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
        const views = await page.$$eval('.view', (els) =>
          els.map((el) => ({ id: el.id, marks: Number((el as HTMLElement).dataset.marks ?? 0) })),
        );
        expect(views.map((v) => v.id)).toEqual(['sweep-rates-target', 'twin-gap', 'ntk-error', 'projection-target-log', 'spectrum']);
        for (const v of views) expect(v.marks, v.id).toBeGreaterThan(0);
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
      } finally {
        await chrome?.close();
      }
    },
    120_000,
  );
});
