/**
 * Provenance for manifests: code version, dependency versions, host.
 *
 *   const p = await provenance();   // { package: {name, version}, gitCommit, dependencies, host }
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname, cpus, platform, arch, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest folder above this module holding package.json (source or dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the specbias package root (no package.json above this module)');
    dir = up;
  }
}

export interface Provenance {
  package: { name: string; version: string };
  gitCommit: string | null;
  codeVersion: string;
  dependencies: Record<string, string>;
  host: { hostname: string; platform: string; arch: string; cpus: number; cpuModel: string; memoryGiB: number; node: string };
}

let cached: Provenance | null = null;

export function provenance(): Provenance {
  if (cached) return cached;
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
  };
  // No shell, fixed arguments: nothing from a spec reaches this command.
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const gitCommit = git.status === 0 ? git.stdout.trim() : null;
  const dependencies: Record<string, string> = {};
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    try {
      const dep = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
      dependencies[name] = dep.version;
    } catch {
      dependencies[name] = 'missing';
    }
  }
  cached = {
    package: { name: pkg.name, version: pkg.version },
    gitCommit,
    codeVersion: `${pkg.version}${gitCommit ? `+${gitCommit.slice(0, 12)}` : ''}`,
    dependencies,
    host: {
      hostname: hostname(),
      platform: platform(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
  };
  return cached;
}
