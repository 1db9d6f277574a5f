/**
 * Provenance for manifests: code version, dependency versions, host.
 *
 *   const p = await provenance();   // { package: {name, version}, gitCommit, dependencies, host }
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname, cpus, platform, arch, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
  const gitCommit = gitHead(root);
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

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The commit HEAD names in the git checkout holding `root`, or null outside one. Read from the
 * files git keeps under `root/.git` (a folder, or a worktree's pointer file): spawning
 * `git rev-parse HEAD` cost ~18 ms of every run's analysis and of every cached rerun. Git itself
 * answers anywhere else (no `.git` at `root`, a reftable repository).
 */
export function gitHead(root: string): string | null {
  const fromFiles = headFromFiles(join(root, '.git'));
  if (fromFiles) return fromFiles;
  // No shell, fixed arguments: nothing from a spec reaches this command.
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const sha = git.status === 0 ? git.stdout.trim() : '';
  return COMMIT.test(sha) ? sha : null;
}

/** HEAD's commit from the files under a `.git` folder or worktree pointer file; null where they do not say. */
function headFromFiles(dotGit: string): string | null {
  try {
    if (!existsSync(dotGit)) return null;
    let gitDir = dotGit;
    if (statSync(dotGit).isFile()) {
      const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1];
      if (!pointer) return null;
      gitDir = resolve(dirname(dotGit), pointer.trim());
    }
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (COMMIT.test(head)) return head;
    const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
    if (!ref) return null;
    // A worktree keeps its own HEAD; the branches live in the common folder.
    const commondir = join(gitDir, 'commondir');
    const common = existsSync(commondir) ? resolve(gitDir, readFileSync(commondir, 'utf8').trim()) : gitDir;
    for (const dir of new Set([gitDir, common])) {
      const file = join(dir, ref);
      if (existsSync(file)) {
        const sha = readFileSync(file, 'utf8').trim();
        return COMMIT.test(sha) ? sha : null;
      }
    }
    const packed = join(common, 'packed-refs');
    if (!existsSync(packed)) return null;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [sha, name] = line.trim().split(' ');
      if (name === ref && sha && COMMIT.test(sha)) return sha;
    }
    return null;
  } catch {
    return null;
  }
}
