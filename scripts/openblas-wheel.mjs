// OpenBLAS with LAPACK from PyPI's scipy-openblas32 wheel (the library numpy and scipy build
// against), pip-installed into .tools/openblas: no root, no system change. Its symbols carry the
// prefix scipy_ (scipy_dsyevd_, scipy_sgemm_, scipy_cblas_sgemm), which native/src/blas.h absorbs.
//
//   const wheel = installOpenblasWheel();   // { lib, libDir, version } or { error }
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OPENBLAS_WHEEL = 'scipy-openblas32';
export const OPENBLAS_WHEEL_VERSION = '0.3.34.481.3';
export const OPENBLAS_SYMBOL_PREFIX = 'scipy_';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the wheel goes: SPECBIAS_OPENBLAS_DIR, else .tools/openblas in this package. */
export function openblasWheelDir() {
  return process.env.SPECBIAS_OPENBLAS_DIR || join(root, '.tools', 'openblas');
}

/** The installed wheel's shared library, or null when the pinned version is not there. */
function installed(dir) {
  if (!existsSync(join(dir, `scipy_openblas32-${OPENBLAS_WHEEL_VERSION}.dist-info`))) return null;
  const libDir = join(dir, 'scipy_openblas32', 'lib');
  const name = existsSync(libDir) ? readdirSync(libDir).find((f) => /^libscipy_openblas.*\.(so|dylib)$/.test(f)) : undefined;
  return name ? { lib: join(libDir, name), libDir, version: OPENBLAS_WHEEL_VERSION } : null;
}

/**
 * The pinned wheel, installed on first use with `python3 -m pip install --target` into a fresh
 * folder that then replaces the old one, so a failed or older install is never half used.
 */
export function installOpenblasWheel() {
  const dir = openblasWheelDir();
  const have = installed(dir);
  if (have) return have;
  const staging = `${dir}.partial-${process.pid}`;
  let why = '';
  try {
    for (const python of ['python3', 'python']) {
      rmSync(staging, { recursive: true, force: true });
      const args = [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--only-binary=:all:',
        '--retries',
        '2',
        '--timeout',
        '20',
        '--target',
        staging,
        `${OPENBLAS_WHEEL}==${OPENBLAS_WHEEL_VERSION}`,
      ];
      const r = spawnSync(python, args, { encoding: 'utf8', env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } });
      if (r.error) continue;
      if (r.status === 0 && installed(staging)) {
        rmSync(dir, { recursive: true, force: true });
        renameSync(staging, dir);
        return installed(dir);
      }
      const lines = `${r.stderr ?? ''}`.trim().split('\n').filter(Boolean);
      why ||= `${python} -m pip install ${OPENBLAS_WHEEL}==${OPENBLAS_WHEEL_VERSION} failed: ${(lines.find((l) => /^ERROR/.test(l)) ?? lines.at(-1) ?? `exit ${r.status}`).slice(0, 160)}`;
    }
    return { error: why || 'no python3 or python to run pip' };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
