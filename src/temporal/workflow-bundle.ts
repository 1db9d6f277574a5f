/**
 * The workflow bundle, built once by `npm run build` (scripts/bundle-workflows.mjs) instead of
 * by webpack at every start (seconds). It is used only while current: its stamp hashes every
 * source file it was bundled from (the workflows entry and its relative imports, followed
 * through the code) and the @temporalio/workflow version. A stale or missing bundle is
 * rebuilt in memory at start, as before.
 *
 *   const codePath = currentBundlePath(workflowsPath());   // null when missing or stale
 *   await writeWorkflowBundle(workflowsPath());            // the build step
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { writeFileAtomic, writeJsonAtomic } from '../store/atomic-file.js';

/** Where the bundle of a workflows entry lives: dist/workflow-bundle.js for dist/workflows/index.js. */
export function bundlePaths(workflowsPath: string): { code: string; stamp: string } {
  const root = resolve(dirname(workflowsPath), '..');
  return { code: resolve(root, 'workflow-bundle.js'), stamp: resolve(root, 'workflow-bundle.json') };
}

/** The entry and every file it reaches through relative imports (`import type` is compiled away in JS). */
export function workflowSources(workflowsPath: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/g)) {
      if (m[1]) continue;
      const target = resolve(dirname(file), m[2]!);
      const candidates = [target, target.replace(/\.js$/, '.ts')];
      const found = candidates.find((c) => existsSync(c));
      if (found) visit(found);
    }
  };
  visit(workflowsPath);
  return [...seen].sort();
}

export function bundleStamp(workflowsPath: string): string {
  const hash = createHash('sha256');
  const require = createRequire(import.meta.url);
  const { version } = require('@temporalio/workflow/package.json') as { version: string };
  hash.update(`@temporalio/workflow@${version}\n`);
  const root = resolve(dirname(workflowsPath), '..');
  for (const file of workflowSources(workflowsPath))
    hash
      .update(`${relative(root, file)}\n`)
      .update(readFileSync(file))
      .update('\n');
  return hash.digest('hex');
}

/** The built bundle's path when it exists and matches the sources, else null. */
export function currentBundlePath(workflowsPath: string): string | null {
  const paths = bundlePaths(workflowsPath);
  try {
    const recorded = (JSON.parse(readFileSync(paths.stamp, 'utf8')) as { stamp?: string }).stamp;
    return existsSync(paths.code) && recorded === bundleStamp(workflowsPath) ? paths.code : null;
  } catch {
    return null;
  }
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.error(m),
  error: (m: string) => console.error(m),
};

export function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger });
}

/** The build step: bundle and write code, then stamp (a reader never sees a stamp without its code). */
export async function writeWorkflowBundle(workflowsPath: string): Promise<{ code: string; stamp: string }> {
  const paths = bundlePaths(workflowsPath);
  const stamp = bundleStamp(workflowsPath);
  const { code } = await bundleWorkflows(workflowsPath);
  await writeFileAtomic(paths.code, code);
  await writeJsonAtomic(paths.stamp, { stamp, sources: workflowSources(workflowsPath).map((f) => relative(dirname(paths.stamp), f)) });
  return paths;
}
