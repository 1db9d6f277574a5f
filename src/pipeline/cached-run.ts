/**
 * A run with nothing left to compute, recognized without Temporal: `specbias run` answers such a
 * rerun from the artifact store and the results database, in a fraction of a second, and starts
 * no dev server and no worker. Everything else runs through Temporal.
 *
 * A run counts as fully cached only when all of this holds:
 *
 * - its manifest (`runs/<runId>/manifest.json`) says completed, is not a sweep's point (or is a
 *   point of the sweep asked about), has this
 *   spec's hash, and was last written by this code version (a rerun after a code change goes
 *   through Temporal once, which refits the rates with the new code);
 * - every artifact the manifest names sits where this spec's cache keys (cache-keys.ts) put it,
 *   recomputed here from the spec and the upstream artifacts' hashes, with the training engine
 *   this machine would use;
 * - every artifact's bytes hash to the manifest's sha256 and to its sidecar's.
 *
 * The caller then checks that results.duckdb holds the run (completed, same spec hash, rates).
 *
 * ```ts
 * const found = await findCachedRun(dataRoot, spec);
 * if ('reason' in found) console.log(`through Temporal: ${found.reason}`);
 * ```
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { nativeEngineId } from '../model/engine.js';
import { provenance } from '../provenance.js';
import { specHash, runIdFor } from '../spec/hash.js';
import type { PipelineSpec } from '../spec/schema.js';
import { sha256Hex } from '../store/canonical-json.js';
import { readRunManifest, type RunManifest } from '../store/run-manifest.js';
import { dataFileFacts } from '../store/data-file.js';
import {
  analyzeKey,
  initTwinKey,
  ntkCheckKey,
  projectionTwins,
  projectKey,
  sampleKey,
  spectrumKey,
  STEPS,
  trainKey,
} from './cache-keys.js';
import type { ArtifactRef, StepTiming } from './types.js';

export interface CachedRun {
  runId: string;
  manifest: RunManifest;
  /** The manifest as read, every field kept, for appending the rerun. */
  raw: Record<string, unknown>;
  /** One per pipeline step, all cached, with the seconds spent verifying its artifacts. */
  timings: StepTiming[];
}

/** The engine id `resolveEngine` would give, when that needs no tfjs; null: only Temporal can tell. */
function engineId(requested: string): string | null {
  // An explicit tfjs engine trains as itself or not at all.
  return requested === 'native' || requested === 'auto' ? nativeEngineId() : requested;
}

/**
 * The run of `spec` if nothing is left to compute, else why not (one line). `sweepId`: the run
 * must be that sweep's point (null: a run of its own, never a sweep's point).
 */
export async function findCachedRun(
  dataRoot: string,
  spec: PipelineSpec,
  sweepId: string | null = null,
): Promise<CachedRun | { reason: string }> {
  const runId = runIdFor(spec);
  let manifest: RunManifest | null;
  try {
    manifest = await readRunManifest(dataRoot, runId);
  } catch (err) {
    return { reason: (err as Error).message.split('\n')[0]! };
  }
  if (!manifest) return { reason: 'no manifest' };
  if ((manifest.status ?? 'completed') !== 'completed') return { reason: `the run ${manifest.status}` };
  if ((manifest.sweepId ?? null) !== sweepId)
    return { reason: manifest.sweepId ? `the run is a point of sweep ${manifest.sweepId}` : `the run is not a point of sweep ${sweepId}` };
  if (manifest.specHash !== specHash(spec)) return { reason: 'the manifest has another spec hash' };
  if (manifest.code?.codeVersion !== provenance().codeVersion) return { reason: 'the manifest was written by another code version' };
  const a = manifest.artifacts ?? {};
  const engine = engineId(spec.training.engine);
  if (engine === null) return { reason: `the engine ${spec.training.engine} resolves only in a worker` };

  const { samples, spectrum, trajectory, losses, projections } = a;
  if (!samples || !spectrum || !trajectory || !losses || !projections) return { reason: 'the manifest lacks an artifact' };
  const gram = a.gram ?? null;
  const vectors = a.vectors ?? null;
  const withGram = spec.spectrum.gram;
  if (!withGram && (gram || vectors)) return { reason: 'the manifest names Gram artifacts the spec does not ask for' };
  // File data: the samples' key holds the file's content hash, so the file is hashed again (it may have changed).
  let fileSha256: string | undefined;
  if (spec.data.distribution.kind === 'file') {
    const facts = await dataFileFacts(spec.data.distribution.path).catch(() => null);
    if (!facts) return { reason: 'the data file cannot be read' };
    fileSha256 = facts.sha256;
  }
  // Every step's key, from the spec and the hashes of the upstream artifacts, as the activities compute it.
  type Files = (readonly [relative: string, ref: ArtifactRef | null | undefined])[];
  const at = (step: { name: string }, key: string, ...files: (readonly [file: string, ref: ArtifactRef | null | undefined])[]): Files =>
    files.map(([file, ref]) => [`artifacts/${step.name}/${key}/${file}`, ref] as const);
  const trainFiles = at(STEPS.train, trainKey(spec, samples, engine), ['trajectory.arrow', trajectory], ['losses.arrow', losses]);
  // The train step also wrote its finite-width twin's trajectory, under that artifact's own key.
  if (projectionTwins(spec).includes('init'))
    trainFiles.push(...at(STEPS.initTwin, initTwinKey(spec, { samples, trajectory }), ['init-twin.arrow', a.initTwin]));
  const steps: [step: string, files: Files][] = [
    [STEPS.sample.name, at(STEPS.sample, sampleKey(spec, fileSha256), ['samples.arrow', samples])],
    [
      STEPS.spectrum.name,
      at(
        STEPS.spectrum,
        spectrumKey(spec, samples),
        ['spectrum.arrow', spectrum],
        ...(withGram
          ? ([
              ['gram.arrow', gram],
              ['gram-vectors.f64', vectors],
            ] as const)
          : []),
      ),
    ],
    [
      STEPS.ntkCheck.name,
      at(STEPS.ntkCheck, ntkCheckKey(spec, samples), ['ntk-check.arrow', a.ntkCheck], ['ntk-directions.arrow', a.ntkDirections]),
    ],
    [STEPS.train.name, trainFiles],
    [STEPS.project.name, at(STEPS.project, projectKey(spec, { samples, trajectory, gram, vectors }), ['projections.arrow', projections])],
    [STEPS.analyze.name, at(STEPS.analyze, analyzeKey(runId, { spectrum, projections, losses }), ['rates.arrow', a.rates])],
  ];
  const timings: StepTiming[] = [];
  for (const [step, files] of steps) {
    const t0 = performance.now();
    for (const [relative, ref] of files) {
      const why = await verify(dataRoot, relative, ref);
      if (why) return { reason: `${step}: ${why}` };
    }
    timings.push({ step, seconds: (performance.now() - t0) / 1000, cached: true });
  }
  const raw = JSON.parse(await readFile(path.join(dataRoot, 'runs', runId, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  return { runId, manifest, raw, timings };
}

/** Null when the file at `relative` (under the data root) is the artifact `ref` names, with a sidecar that agrees; else why not. */
async function verify(dataRoot: string, relative: string, ref: ArtifactRef | null | undefined): Promise<string | null> {
  if (!ref) return `the manifest names no ${path.posix.basename(relative)}`;
  if (ref.path !== relative) return `${ref.path} is not at its cache key (${relative})`;
  const file = path.join(dataRoot, ...relative.split('/'));
  let bytes: Buffer;
  let meta: { sha256?: unknown };
  try {
    [bytes, meta] = await Promise.all([
      readFile(file),
      readFile(`${file}.meta.json`, 'utf8').then((t) => JSON.parse(t) as { sha256?: unknown }),
    ]);
  } catch (err) {
    return `${relative}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  const actual = sha256Hex(bytes);
  if (actual !== ref.sha256 || meta.sha256 !== actual) return `${relative} does not match its sha256`;
  return null;
}
