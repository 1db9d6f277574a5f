#!/usr/bin/env node
/**
 * Builds the native engine (native/ -> native/build/Release/specbias_native.node) with the
 * node-gyp of this package, offline, and never fails the install: any failure prints one warning
 * line, and specbias then trains on tfjs-wasm and solves eigenproblems with ml-matrix.
 *
 *   node scripts/build-native.mjs            # part of `npm install` / `npm ci` (the prepare script)
 *   node scripts/build-native.mjs --out DIR  # builds a copy of native/ in DIR (DIR/build/Release/...),
 *                                            # leaving native/build alone (tests)
 *   SPECBIAS_SKIP_NATIVE=1 npm ci            # skip the build
 *
 * Headers: --nodedir points node-gyp at the installed Node's own headers (the prefix holding
 * include/node/node_api.h, e.g. /usr or dirname(dirname(process.execPath))), so it never
 * downloads a header tarball.
 *
 * BLAS and LAPACK: the first of these that links a small program calling dsyevd_ and runs it
 * correctly is passed to gyp (specbias_blas_libs, specbias_blas_prefix, specbias_blas_rpath):
 *   1. SPECBIAS_BLAS=/path/to/libopenblas.so, where set (symbol prefix none or scipy_);
 *   2. the system's OpenBLAS: pkg-config openblas, -lopenblas;
 *   3. PyPI's scipy-openblas32 (pinned, scripts/openblas-wheel.mjs) pip-installed into
 *      .tools/openblas and linked with an rpath;
 *   4. the system's other LAPACK: pkg-config lapack blas, -llapack -lblas (after the wheel: a reference
 *      LAPACK on a reference BLAS is several times slower than OpenBLAS);
 *   5. none: the addon builds without, and one line says what that costs and how to fix it.
 * SPECBIAS_BLAS_SOURCE=system|wheel|none keeps only that source (wheel hides the system's and
 * SPECBIAS_BLAS); auto, the default, tries them all. If the LAPACK variant fails to build, the build is retried
 * without it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installOpenblasWheel, OPENBLAS_SYMBOL_PREFIX, OPENBLAS_WHEEL } from './openblas-wheel.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = flags.out ? resolve(flags.out) : null;
const nativeDir = outDir ?? join(root, 'native');
const quiet = !process.env.SPECBIAS_NATIVE_VERBOSE;

function warn(reason) {
  console.warn(`specbias: native engine not built (${reason}); training falls back to tfjs-wasm and eigensolves to ml-matrix`);
}

/** The Node install prefix that holds include/node/node_api.h, or null. */
function nodeDir() {
  const candidates = [process.env.SPECBIAS_NODEDIR, dirname(dirname(process.execPath)), '/usr', '/usr/local'].filter(Boolean);
  return (
    candidates.find(
      (dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')) && existsSync(join(dir, 'include', 'node', 'common.gypi')),
    ) ?? null
  );
}

const SOURCES = ['auto', 'system', 'wheel', 'none'];

const WITHOUT_BLAS =
  'Gram eigensolves use ml-matrix, about 70x slower (71 s instead of 1 s at n = 2000). ' +
  "Fix: make `python3 -m pip` work (for PyPI's scipy-openblas32), or install libopenblas-dev, or set SPECBIAS_BLAS=/path/to/libopenblas.so; then `npm run build:native`";

/**
 * True when a program calling `${prefix}dsyevd_` links against linkArgs and solves a 2 x 2
 * problem correctly.
 */
function probe(linkArgs, prefix, rpath) {
  const dir = mkdtempSync(join(tmpdir(), 'specbias-lapack-'));
  try {
    const src = join(dir, 'probe.c');
    const dsyevd = `${prefix}dsyevd_`;
    writeFileSync(
      src,
      `extern void ${dsyevd}(const char*, const char*, const int*, double*, const int*, double*, double*, const int*, int*, const int*, int*);
int main(void) {
  double a[4] = {2, 1, 1, 2}, w[2], work[64]; int n = 2, lwork = 64, iwork[64], liwork = 64, info = 0;
  ${dsyevd}("V", "U", &n, a, &n, w, work, &lwork, iwork, &liwork, &info);
  return info != 0 || w[0] < 0.999 || w[0] > 1.001 || w[1] < 2.999 || w[1] > 3.001;
}
`,
    );
    const exe = join(dir, 'probe');
    const cc = spawnSync(process.env.CC || 'cc', [src, '-o', exe, ...linkArgs, ...(rpath ? [`-Wl,-rpath,${rpath}`] : [])], {
      stdio: 'ignore',
    });
    return cc.status === 0 && spawnSync(exe, [], { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `pkg-config --libs names...` split into arguments, or null. */
function pkgConfigLibs(...names) {
  const r = spawnSync('pkg-config', ['--libs', ...names], { encoding: 'utf8' });
  const out = r.status === 0 ? r.stdout.trim() : '';
  return out ? out.split(/\s+/) : null;
}

/** A library file named by path: both symbol prefixes are tried. */
function fromPath(lib, label) {
  if (!existsSync(lib)) return null;
  for (const prefix of ['', OPENBLAS_SYMBOL_PREFIX]) {
    if (probe([lib], prefix, dirname(lib))) return { libs: lib, prefix, rpath: dirname(lib), label };
  }
  return null;
}

/** The system's OpenBLAS (openblas: true), or its other LAPACK with its BLAS (for sgemm_ and the like). */
function fromSystem(openblas) {
  const candidates = (
    openblas ? [pkgConfigLibs('openblas'), ['-lopenblas']] : [pkgConfigLibs('lapack', 'blas'), ['-llapack', '-lblas']]
  ).filter(Boolean);
  for (const args of candidates) {
    if (probe(args, '', '')) return { libs: args.join(' '), prefix: '', rpath: '', label: `the system's, ${args.join(' ')}` };
  }
  return null;
}

function fromWheel(notes) {
  const wheel = installOpenblasWheel();
  if (wheel.error) {
    notes.push(wheel.error);
    return null;
  }
  const rel = relative(root, wheel.libDir);
  const found = fromPath(wheel.lib, `${OPENBLAS_WHEEL} ${wheel.version} from PyPI in ${rel.startsWith('..') ? wheel.libDir : rel}`);
  if (!found) notes.push(`${wheel.lib} did not link a dsyevd_ probe`);
  return found;
}

/**
 * The BLAS/LAPACK to link: { libs, prefix, rpath, label }, or { none: why } where every allowed
 * source failed.
 */
function findBlas() {
  let source = (process.env.SPECBIAS_BLAS_SOURCE || 'auto').trim().toLowerCase();
  if (!SOURCES.includes(source)) {
    console.warn(
      `specbias: SPECBIAS_BLAS_SOURCE must be one of ${SOURCES.join(', ')}, got "${process.env.SPECBIAS_BLAS_SOURCE}"; using auto`,
    );
    source = 'auto';
  }
  if (process.env.SPECBIAS_NO_LAPACK) return { none: 'SPECBIAS_NO_LAPACK is set' };
  if (source === 'none') return { none: 'SPECBIAS_BLAS_SOURCE=none' };
  const notes = [];
  const explicit = source === 'auto' ? process.env.SPECBIAS_BLAS : '';
  if (explicit) {
    const found = fromPath(resolve(explicit), `SPECBIAS_BLAS=${explicit}`);
    if (found) return found;
    const why = `SPECBIAS_BLAS=${explicit} ${existsSync(explicit) ? 'did not link a dsyevd_ probe (an LP64 BLAS/LAPACK with dsyevd_ or scipy_dsyevd_ is needed)' : 'does not exist'}`;
    console.warn(`specbias: ${why}; looking further`);
    notes.push(why);
  }
  const system = source === 'auto' || source === 'system';
  const found =
    (system && fromSystem(true)) || ((source === 'auto' || source === 'wheel') && fromWheel(notes)) || (system && fromSystem(false));
  if (found) return found;
  if (system) notes.push('no system BLAS/LAPACK links');
  return { none: notes.join('; ') };
}

function nodeGyp(args) {
  const require = createRequire(import.meta.url);
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  // binding.gyp resolves node-addon-api with `node -p require(...)`, which a copy in --out finds through NODE_PATH.
  const env = { ...process.env, NODE_PATH: [join(root, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(delimiter) };
  return spawnSync(process.execPath, [gyp, ...args], {
    cwd: nativeDir,
    env,
    stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit',
    encoding: 'utf8',
  });
}

/** One line saying why node-gyp failed: its "stack Error:" line, or the first compiler error. */
function lastError(res) {
  const lines = (res.stderr ?? '').split('\n');
  const stack = lines.find((l) => l.startsWith('gyp ERR! stack Error: '));
  const compiler = lines.find((l) => /(^|\s)(fatal )?error: /.test(l) && !l.startsWith('gyp '));
  const why =
    compiler ?? stack?.slice('gyp ERR! stack '.length) ?? `node-gyp exited with ${res.status ?? res.signal ?? res.error?.message}`;
  return why.trim().slice(0, 200);
}

function main() {
  if (process.env.SPECBIAS_SKIP_NATIVE) return warn('SPECBIAS_SKIP_NATIVE is set');
  const dir = nodeDir();
  if (!dir) return warn('no Node headers (include/node/node_api.h) next to this Node; set SPECBIAS_NODEDIR');
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    cpSync(join(root, 'native', 'binding.gyp'), join(outDir, 'binding.gyp'));
    cpSync(join(root, 'native', 'src'), join(outDir, 'src'), { recursive: true });
  }
  const blas = findBlas();
  const base = ['rebuild', `--nodedir=${dir}`, '--jobs=max'];
  const withBlas = blas.none
    ? base
    : [...base, '--', `-Dspecbias_blas_libs=${blas.libs}`, `-Dspecbias_blas_prefix=${blas.prefix}`, `-Dspecbias_blas_rpath=${blas.rpath}`];
  let res = nodeGyp(withBlas);
  let lost = blas.none ?? '';
  if (res.status !== 0 && !blas.none) {
    lost = `the build with ${blas.label} failed: ${lastError(res)}`;
    res = nodeGyp(base);
  }
  if (res.status !== 0) return warn(lastError(res));
  if (lost) console.warn(`specbias: native engine built without BLAS/LAPACK (${lost}). ${WITHOUT_BLAS}`);
  else console.log(`specbias: native engine built (BLAS/LAPACK: ${blas.label})`);
}

try {
  main();
} catch (err) {
  warn(err instanceof Error ? err.message : String(err));
}
