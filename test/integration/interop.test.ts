import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Other tools read what specbias writes: pyarrow every Arrow artifact, the duckdb Python package
// the results database. .ci/run installs both from PyPI; where Python lacks them the test says so
// and is skipped (the Node side is covered by the other integration tests).
const python = process.env.PYTHON ?? 'python3';
const probe = spawnSync(python, ['-c', 'import pyarrow, duckdb'], { encoding: 'utf8' });
const available = probe.status === 0;

let dir: string | undefined;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('interoperability', () => {
  it.skipIf(!available)(
    'pyarrow reads every .arrow artifact and duckdb (Python) reads results.duckdb, views included',
    () => {
      dir = mkdtempSync(join(tmpdir(), 'specbias-interop-'));
      const data = join(dir, 'data');
      const spec = join(dir, 'interop.yaml');
      writeFileSync(
        spec,
        'name: interop\ndata: { dim: 5, n: 40, nTest: 20 }\nmodel: { width: 32, theta: 0.1 }\ntraining: { steps: 30, learningRate: 2, logEvery: 5 }\nspectrum: { maxDegree: 4 }\n',
      );
      const run = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'specbias.js'), 'run', spec, '--json', '--data', data], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const { runId } = JSON.parse(run.stdout) as { runId: string };

      const files = readdirSync(join(data, 'artifacts'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.arrow'));
      expect(files.length).toBeGreaterThanOrEqual(8);
      const script = `
import json, sys, pyarrow.ipc as ipc, duckdb
root, run_id, files = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
rows = {f: ipc.open_file(root + '/artifacts/' + f).read_all().num_rows for f in files}
con = duckdb.connect(root + '/results.duckdb', read_only=True)
out = {
  'rows': rows,
  'projections': con.execute('SELECT count(*) FROM projections WHERE run_id = ?', [run_id]).fetchone()[0],
  'rates': con.execute("SELECT degree FROM rate_summary WHERE run_id = ? AND split = 'train' AND kind = 'target' ORDER BY degree", [run_id]).fetchall(),
}
print(json.dumps(out))`;
      const py = spawnSync(python, ['-c', script, data, runId, JSON.stringify(files)], { encoding: 'utf8' });
      expect(py.status, py.stderr).toBe(0);
      const out = JSON.parse(py.stdout) as { rows: Record<string, number>; projections: number; rates: number[][] };
      for (const f of files) expect(out.rows[f], f).toBeGreaterThan(0);
      expect(out.projections).toBeGreaterThan(0);
      expect(out.rates).toEqual([[1], [2], [4]]);
    },
    120_000,
  );
});
