import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  AmbiguousReportTargetError,
  ReportQueries,
  ReportTargetError,
  resolveFonts,
  resolveReportTarget,
  writeReport,
  type WrittenReport,
} from '../../src/report/index.js';
import { withResultsDb } from '../../src/store/results-db.js';
import { buildFixture, MANIFEST_A } from './fixture.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, which a PNG must start with. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The relative link targets of a Markdown text: ![..](x) and [..](x). */
function links(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

async function filesOf(dir: string, ext: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(ext)).sort();
}

describe('specbias report', () => {
  let dir: string;
  let dataRoot: string;
  let runA: WrittenReport;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'specbias-report-'));
    dataRoot = await buildFixture(dir);
    runA = await writeReport({ dataRoot, id: 'run-a' }); // into the default folder
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a run report writes SVG and PNG figures and report.md into <data>/reports/<run-id>/', async () => {
    const written = runA;
    const out = path.join(dataRoot, 'reports', 'run-a');
    expect(written).toMatchObject({ kind: 'run', id: 'run-a', runIds: ['run-a'], dir: out });

    const pngs = await filesOf(out, '.png');
    const svgs = await filesOf(out, '.svg');
    expect(pngs).toEqual([
      'loss.png',
      'ntk-error.png',
      'projection-eigenspace-log.png',
      'projection-target-linear.png',
      'projection-target-log.png',
      'spectrum.png',
    ]);
    expect(svgs).toEqual(pngs.map((f) => f.replace('.png', '.svg')));
    expect(await filesOf(out, '.md')).toEqual(['report.md']);
    expect(written.files.map((f) => path.basename(f.path)).at(-1)).toBe('report.md');

    for (const png of pngs) {
      const { width, height } = pngSize(await readFile(path.join(out, png)));
      // Rendered at 2x: a few hundred CSS pixels wide and high, times two.
      expect(width).toBeGreaterThan(600);
      expect(width).toBeLessThan(4000);
      expect(height).toBeGreaterThan(300);
      expect(height).toBeLessThan(3000);
      expect(written.files.find((f) => f.path.endsWith(png))).toMatchObject({ width, height });
    }

    const log = await readFile(path.join(out, 'projection-target-log.svg'), 'utf8');
    expect(log.startsWith('<svg')).toBe(true);
    expect(log).toContain('Residual per degree, log scale');
    expect(log).toContain('gradient-descent step t');
    expect(log).toContain('degree k');
    expect(log).toContain('infinite-width twin (analytic kernel)');
    // the symlog step axis, labelled at 0 and the powers of ten, and the fit overlay drawn from rates
    expect(log).toContain('gradient-descent step t (symlog)');
    expect(log).toContain('>100<');
    expect(log).toContain('the fit window');
    const spectrum = await readFile(path.join(out, 'spectrum.svg'), 'utf8');
    expect(spectrum).toContain('NTK eigenvalues μ_k against degree k');
    expect(spectrum).toContain('degree k (log scale)');
    expect(spectrum).toContain('eigenvalue');
    const ntk = await readFile(path.join(out, 'ntk-error.svg'), 'utf8');
    expect(ntk).toContain('network width m (log scale)');
  });

  it('report.md holds the fitted rates of the synthetic data, the figures, the spec and the provenance', async () => {
    const out = path.join(dataRoot, 'reports', 'run-a');
    const md = await readFile(path.join(out, 'report.md'), 'utf8');

    // Fitted = the exponentials' rates, kernel = 1.25x, theory = -ln(1 - mu_k) (lr 1), computed by hand:
    //   k=1: 0.05, -ln(1 - 0.075) = 0.07796, 0.0625, ratio 0.641; k=2: 0.01, 0.005716, 0.0125, 1.75; k=4: 0.002, 5.600e-5, 0.0025, 35.7
    expect(md).toContain(
      '| split | kind | k | fitted rate | theory rate | kernel rate | fitted/theory | fitted/kernel | r² | window (points) | note |',
    );
    expect(md).toContain('| train | target | 1 | 0.05000 | 0.07796 | 0.06250 | 0.641 | 0.800 | 1.00 |');
    expect(md).toContain('| train | target | 2 | 0.01000 | 0.005716 | 0.01250 | 1.75 | 0.800 | 1.00 |');
    expect(md).toContain('| train | target | 4 | 0.002000 | 5.600e-5 | 0.002500 | 35.7 | 0.800 | 1.00 |');
    expect(md).toMatch(
      /\| test \| target \| 4 \| NaN \| 5\.600e-5 \| NaN \| NaN \| NaN \| – \| – \| the infinite-width twin did not fall below 0\.9x its peak/,
    );

    const targets = links(md);
    expect(targets).toContain('projection-target-linear.png');
    expect(targets).toContain('projection-target-log.svg');
    for (const target of targets) expect(existsSync(path.join(out, target)), target).toBe(true);

    expect(md).toContain('```yaml\ndata:\n  dim: 10\n');
    expect(md).toContain('  width: 256\n');
    expect(md).toContain('| code version | manifest-code-version |');
    expect(md).toContain(`| git commit | ${MANIFEST_A.code.gitCommit} |`);
    expect(md).toContain('| backend | cpu (manifest) |');
    expect(md).toContain('| host | test-host, linux/x64, Test CPU, 3 CPUs, 7 GiB, node v20.0.0 |');
    expect(md).toContain('| train | 12.50 | yes |');
    expect(md).toContain('| total | 12.75 |  |');
  });

  it('a run without a manifest takes its provenance from the runs table', async () => {
    const out = path.join(dir, 'out-c');
    await writeReport({ dataRoot, id: 'run-c', outDir: out });
    const md = await readFile(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('| code version | db-code-version |');
    expect(md).toContain('| manifest | not found (');
    expect(md).toContain('| train | target | 1 | 0.02500 |');
  });

  it('a sweep report pools the seeds and plots the fitted rate against width', async () => {
    const out = path.join(dir, 'out-sweep');
    const written = await writeReport({ dataRoot, id: 'sw-1', outDir: out });
    expect(written).toMatchObject({ kind: 'sweep', id: 'sw-1', runIds: ['run-a', 'run-b', 'run-c'] });
    const pngs = await filesOf(out, '.png');
    expect(pngs).toEqual(['ntk-error.png', 'projection-target-log.png', 'spectrum.png', 'sweep-rates-target.png', 'twin-gap.png']);
    for (const png of pngs) pngSize(await readFile(path.join(out, png)));
    const rates = await readFile(path.join(out, 'sweep-rates-target.svg'), 'utf8');
    expect(rates).toContain('Fitted decay rate against width m');
    expect(rates).toContain('network width m (log scale)');
    expect(rates).toContain('decay rate per step');
    // A width sweep also draws the fitted rate's distance from its twins against width.
    expect(await readFile(path.join(out, 'twin-gap.svg'), 'utf8')).toContain('|fitted / twin − 1|');

    const md = await readFile(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('the grid varies **model.width**, **seed**.');
    // width 256 pools seeds 0 and 1 (rates 0.05 and 0.055): mean 0.0525, sd 0.005/sqrt(2) = 0.0035
    expect(md).toMatch(
      /\| train \| target \| 1 \| 256 \| 300 \| width=256 \| 2 \| 0\.05250 ± 0\.0035 \| 0\.07796 \| 0\.06563 \| 0\.673 \| 0\.800 \|/,
    );
    expect(md).toMatch(/\| train \| target \| 1 \| 1024 \| 300 \| width=1024 \| 1 \| 0\.02500 \| 0\.07796 \|/);
    expect(md).toMatch(/\| test \| target \| 4 \| 256 \| 300 \| width=256 \| 2 \(2 refused\) \| – \|/);
    for (const target of links(md)) expect(existsSync(path.join(out, target)), target).toBe(true);
  });

  it('a unique prefix names a run or sweep; an ambiguous or unknown one says so', async () => {
    await withResultsDb(path.join(dataRoot, 'results.duckdb'), { readOnly: true }, async (db) => {
      expect(await resolveReportTarget(db, 'run-c')).toEqual({ kind: 'run', id: 'run-c', runIds: ['run-c'] });
      expect(await resolveReportTarget(db, 'sw')).toEqual({ kind: 'sweep', id: 'sw-1', runIds: ['run-a', 'run-b', 'run-c'] });
      await expect(resolveReportTarget(db, 'run-')).rejects.toThrow(AmbiguousReportTargetError);
      await expect(resolveReportTarget(db, 'run-')).rejects.toThrow(
        '"run-" starts 3 run and sweep ids (run-a, run-b, run-c); give more of the id',
      );
      await expect(resolveReportTarget(db, 'nope')).rejects.toThrow(ReportTargetError);
    });
  });

  it('specbias report with an unknown id prints one line naming it and exits 1', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['report', 'no-such-run', '--data', dataRoot])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    const database = path.join(dataRoot, 'results.duckdb');
    expect(lines).toEqual([`specbias: report: no run or sweep "no-such-run" in ${database}; list the runs with: specbias status\n`]);
  });

  it('specbias report --json prints the written files', async () => {
    const out = path.join(dir, 'out-json');
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['report', 'run-b', '--data', dataRoot, '--out', out, '--json'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const written = JSON.parse(chunks.join('')) as { kind: string; files: { path: string }[] };
    expect(written.kind).toBe('run');
    expect(written.files.map((f) => path.relative(out, f.path)).at(-1)).toBe('report.md');
  });
});

describe('specbias report on an older database', () => {
  let dir: string;
  let dataRoot: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'specbias-report-old-'));
    dataRoot = await buildFixture(dir);
    // As written by a specbias without the views and without ntk_check.
    await withResultsDb(path.join(dataRoot, 'results.duckdb'), {}, async (db) => {
      await db.query('DROP VIEW sweep_summary; DROP VIEW rate_summary; DROP VIEW run_params; DROP TABLE ntk_check');
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads through inlined view definitions and leaves out the NTK figure', async () => {
    await withResultsDb(path.join(dataRoot, 'results.duckdb'), { readOnly: true }, async (db) => {
      const queries = await ReportQueries.create(db);
      expect(queries.has('rate_summary')).toBe(false);
      expect(queries.has('ntk_check')).toBe(false);
      const target = await resolveReportTarget(db, 'run-a');
      const rows = await queries.rateSummary(target);
      const k1 = rows.find((r) => r.split === 'train' && r.kind === 'target' && r.degree === 1)!;
      expect(k1.fitted_over_kernel).toBeCloseTo(0.8, 6);
      expect(await queries.ntkChecks(target)).toEqual([]);
    });
    const out = path.join(dir, 'out');
    await writeReport({ dataRoot, id: 'run-a', outDir: out });
    expect(await filesOf(out, '.png')).toEqual([
      'loss.png',
      'projection-eigenspace-log.png',
      'projection-target-linear.png',
      'projection-target-log.png',
      'spectrum.png',
    ]);
  });
});

describe('report fonts', () => {
  it.skipIf(resolveFonts().files.length === 0)('a font file was found, and text drawn with it shows up in the PNG', () => {
    expect(resolveFonts().textRenders).toBe(true);
  });
});
