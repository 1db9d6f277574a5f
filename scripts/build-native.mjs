#!/usr/bin/env node
/**
 * Builds the native engine (native/ -> native/build/Release/specbias_native.node) with the
 * node-gyp of this package, offline, and never fails the install: any failure prints one warning
 * line, and specbias then trains on tfjs-wasm and solves eigenproblems with ml-matrix.
 *
 *   node scripts/build-native.mjs            # part of `npm install` / `npm ci` (the prepare script)
 *   SPECBIAS_SKIP_NATIVE=1 npm ci            # skip the build
 *
 * Headers: --nodedir points node-gyp at the installed Node's own headers (the prefix holding
 * include/node/node_api.h, e.g. /usr or dirname(dirname(process.execPath))), so it never
 * downloads a header tarball. LAPACK: a small test program that calls dsyevd_ is compiled and
 * linked against -llapack, then -lopenblas; the first that links is passed to gyp as
 * specbias_lapack_libs. If the LAPACK variant fails to build, the build is retried without it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const quiet = !process.env.SPECBIAS_NATIVE_VERBOSE;

function warn(reason) {
  console.warn(`specbias: native engine not built (${reason}); training falls back to tfjs-wasm and eigensolves to ml-matrix`);
}

/** The Node install prefix that holds include/node/node_api.h, or null. */
function nodeDir() {
  const candidates = [process.env.SPECBIAS_NODEDIR, dirname(dirname(process.execPath)), '/usr', '/usr/local'].filter(Boolean);
  return candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')) && existsSync(join(dir, 'include', 'node', 'common.gypi'))) ?? null;
}

/** The linker flag of a LAPACK that provides dsyevd_, or '' when none links. */
function probeLapack() {
  if (process.env.SPECBIAS_NO_LAPACK) return '';
  const dir = mkdtempSync(join(tmpdir(), 'specbias-lapack-'));
  try {
    const src = join(dir, 'probe.c');
    writeFileSync(
      src,
      `extern void dsyevd_(const char*, const char*, const int*, double*, const int*, double*, double*, const int*, int*, const int*, int*);
int main(void) {
  double a[4] = {2, 1, 1, 2}, w[2], work[64]; int n = 2, lwork = 64, iwork[64], liwork = 64, info = 0;
  dsyevd_("V", "U", &n, a, &n, w, work, &lwork, iwork, &liwork, &info);
  return info != 0 || w[0] < 0.999 || w[0] > 1.001 || w[1] < 2.999 || w[1] > 3.001;
}
`,
    );
    for (const lib of ['-llapack', '-lopenblas']) {
      const exe = join(dir, 'probe');
      const cc = spawnSync(process.env.CC || 'cc', [src, '-o', exe, lib], { stdio: 'ignore' });
      if (cc.status === 0 && spawnSync(exe, [], { stdio: 'ignore' }).status === 0) return lib;
    }
    return '';
  } catch {
    return '';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function nodeGyp(args) {
  const require = createRequire(import.meta.url);
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  return spawnSync(process.execPath, [gyp, ...args], { cwd: nativeDir, stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit', encoding: 'utf8' });
}

/** One line saying why node-gyp failed: its "stack Error:" line, or the first compiler error. */
function lastError(res) {
  const lines = (res.stderr ?? '').split('\n');
  const stack = lines.find((l) => l.startsWith('gyp ERR! stack Error: '));
  const compiler = lines.find((l) => /(^|\s)(fatal )?error: /.test(l) && !l.startsWith('gyp '));
  const why = compiler ?? stack?.slice('gyp ERR! stack '.length) ?? `node-gyp exited with ${res.status ?? res.signal ?? res.error?.message}`;
  return why.trim().slice(0, 200);
}

function main() {
  if (process.env.SPECBIAS_SKIP_NATIVE) return warn('SPECBIAS_SKIP_NATIVE is set');
  const dir = nodeDir();
  if (!dir) return warn('no Node headers (include/node/node_api.h) next to this Node; set SPECBIAS_NODEDIR');
  const lapack = probeLapack();
  const base = ['rebuild', `--nodedir=${dir}`, '--jobs=max'];
  let res = nodeGyp(lapack ? [...base, '--', `-Dspecbias_lapack_libs=${lapack}`] : base);
  let note = lapack ? `LAPACK ${lapack}` : 'no LAPACK found: eigensolves use ml-matrix';
  if (res.status !== 0 && lapack) {
    const first = lastError(res);
    res = nodeGyp(base);
    note = `the LAPACK variant failed (${first}); built without LAPACK`;
  }
  if (res.status !== 0) return warn(lastError(res));
  console.log(`specbias: native engine built (${note})`);
}

try {
  main();
} catch (err) {
  warn(err instanceof Error ? err.message : String(err));
}
