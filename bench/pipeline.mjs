#!/usr/bin/env node
/**
 * `node bench/pipeline.mjs`: the whole pipeline at paper size, step by step, against the bare
 * GD steps, measured in one run on this machine (needs `npm run build` first).
 *
 *   node bench/pipeline.mjs                          # Fig. 1a, 3000 steps, eta' = 2
 *   node bench/pipeline.mjs --steps 500 --spec pipelines/quickstart.yaml
 *   node bench/pipeline.mjs --set 'analysis.twins=[infinite]'   # any spec override, repeatable
 *
 * It runs the spec in a fresh temporary data root (nothing cached; the embedded dev server),
 * reads each step's seconds from the run's manifest, then times the bare steps with
 * `specbias bench train` at the same n, D, m. Ratios are against the bare training time
 * (ms/step x steps): the issue's budget is training <= 1.5x bare, all other steps <= 0.25x.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    spec: { type: 'string', default: 'pipelines/cao2019-fig1a.yaml' },
    steps: { type: 'string', default: '3000' },
    'learning-rate': { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const cli = join(root, 'bin', 'specbias.js');
const dataRoot = mkdtempSync(join(tmpdir(), 'specbias-bench-pipeline-'));
const note = (line) => process.stderr.write(`${line}\n`);

function specbias(args) {
  // The data root is deleted afterwards: its dev server stops as the run lets go (unless --keep).
  const env = values.keep ? process.env : { ...process.env, SPECBIAS_SERVER_IDLE_S: '0' };
  const res = spawnSync(process.execPath, [cli, ...args], { cwd: root, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (res.status !== 0)
    throw new Error(`specbias ${args.join(' ')} failed (exit ${res.status}): ${(res.stderr || '').trim().split('\n').pop()}`);
  return JSON.parse(res.stdout);
}

try {
  const set = ['--set', `training.steps=${values.steps}`, '--set', `training.learningRate=${values['learning-rate']}`];
  for (const override of values.set) set.push('--set', override);
  note(`bench: running ${values.spec} (${values.steps} steps) in ${dataRoot}`);
  const t0 = performance.now();
  const run = specbias(['run', values.spec, ...set, '--data', dataRoot, '--json']);
  const wall = (performance.now() - t0) / 1000;
  const manifest = JSON.parse(readFileSync(run.manifest, 'utf8'));
  const spec = manifest.spec;
  const size = ['--n', String(spec.data.n), '--dim', String(spec.data.dim), '--width', String(spec.model.width)];
  note(`bench: bare GD steps at n=${spec.data.n}, D=${spec.data.dim}, m=${spec.model.width}`);
  const bare = specbias([
    'bench',
    'train',
    ...size,
    '--steps',
    '200',
    '--engine',
    manifest.engine === 'native' ? 'native' : 'auto',
    '--json',
  ]);
  const bareSeconds = (bare.msPerStep * spec.training.steps) / 1000;

  const timings = manifest.timings ?? [];
  const rows = timings.map((t) => [t.step, t.seconds.toFixed(2), t.cached ? 'cached' : '', (t.seconds / bareSeconds).toFixed(3)]);
  const train = timings.find((t) => t.step === 'train');
  const others = timings.filter((t) => t.step !== 'train').reduce((s, t) => s + t.seconds, 0);
  rows.push(['bare GD steps', bareSeconds.toFixed(2), `${bare.msPerStep} ms x ${spec.training.steps}`, '1.000']);
  rows.push(['all but train', others.toFixed(2), '', (others / bareSeconds).toFixed(3)]);
  rows.push(['wall (CLI)', wall.toFixed(2), 'incl. server start', (wall / bareSeconds).toFixed(3)]);
  const header = ['step', 'seconds', 'note', 'x bare GD'];
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => String(r[j]).length)));
  const line = (r) => `| ${r.map((c, j) => String(c).padEnd(widths[j])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log('');
  console.log(`run ${run.runId}, engine ${manifest.engine}/${manifest.backend}`);
  if (train)
    console.log(
      `training / bare steps = ${(train.seconds / bareSeconds).toFixed(2)} (budget 1.5); other steps / training = ${(others / train.seconds).toFixed(2)} (budget 0.25)`,
    );
} finally {
  if (!values.keep) rmSync(dataRoot, { recursive: true, force: true });
}
