import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The build step (scripts/bundle-workflows.mjs) on the built dist/, as `npm run build` runs it.
const root = process.cwd();
const entry = join(root, 'dist', 'workflows', 'index.js');
const tmp = mkdtempSync(join(tmpdir(), 'specbias-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const built = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-workflows.mjs')], { encoding: 'utf8', timeout: 120_000 });
const bundle = (await import(
  join(root, 'dist', 'src', 'temporal', 'workflow-bundle.js')
)) as typeof import('../../src/temporal/workflow-bundle.js');

describe('the prebuilt workflow bundle', () => {
  it('is written by the build script, is current, and is what a worker loads', async () => {
    expect(built.status, built.stderr).toBe(0);
    expect(bundle.currentBundlePath(entry)).toBe(join(root, 'dist', 'workflow-bundle.js'));
    const { workflowBundle } = (await import(
      join(root, 'dist', 'src', 'temporal', 'worker.js')
    )) as typeof import('../../src/temporal/worker.js');
    expect(await workflowBundle()).toEqual({ codePath: join(root, 'dist', 'workflow-bundle.js') });
  });

  it('its stamp covers exactly the modules webpack put in it', () => {
    const code = readFileSync(join(root, 'dist', 'workflow-bundle.js'), 'utf8');
    const inBundle = [...new Set([...code.matchAll(/"\.\/(dist\/[\w/.-]+\.js)"/g)].map((m) => m[1]!))].sort();
    const stamped = bundle
      .workflowSources(entry)
      .map((f) => relative(root, f))
      .sort();
    expect(stamped).toEqual(inBundle);
    expect(stamped).toContain('dist/src/spec/grid.js'); // reached through workflows/sweep.js
  });

  it('goes stale when any source it was bundled from changes, and is then not used', () => {
    // The same tree elsewhere: current with the same bundle, stale after one source changes.
    const copyRoot = join(tmp, 'dist');
    for (const file of bundle.workflowSources(entry)) {
      const to = join(copyRoot, relative(join(root, 'dist'), file));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(file, to);
    }
    for (const f of ['workflow-bundle.js', 'workflow-bundle.json']) copyFileSync(join(root, 'dist', f), join(copyRoot, f));
    const copyEntry = join(copyRoot, 'workflows', 'index.js');
    expect(bundle.bundleStamp(copyEntry)).toBe(bundle.bundleStamp(entry));
    expect(bundle.currentBundlePath(copyEntry)).toBe(join(copyRoot, 'workflow-bundle.js'));
    appendFileSync(join(copyRoot, 'src', 'spec', 'grid.js'), '\n// changed\n');
    expect(bundle.currentBundlePath(copyEntry)).toBeNull();
  });
});
