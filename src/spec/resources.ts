/**
 * Size guards: what a spec will need, estimated before anything starts, and whether this
 * machine has it. `specbias run` refuses a spec that cannot fit, in one line that names the
 * field and the estimate, unless given --allow-large (docs/spec.md, "Size limits").
 *
 *   const need = estimateResources(spec);          // pure: bytes of memory and disk, array sizes
 *   const why = refusal(need, machineLimits('data'));  // null when it fits, else one line
 *
 * The estimate is an upper bound from the pipeline's shapes (docs/architecture.md), in bytes:
 * - memory, the peak of: sample -> (spectrum || NTK check || training, in parallel) -> projection.
 *   Spectrum: the Gram matrix K/n, its eigenvectors and the solver's copy, 3 n^2 doubles.
 *   Training: hidden activations, masks and gradients, 3 (L - 1) (n + nTest) m doubles (L =
 *   model.depth: one set per hidden layer); the weights, 4 P doubles with P = m (D + 1) for the
 *   paper's network and m (D + 1) + (L - 2) m (m + 1) + m + 1 for the family (the (L - 2) hidden
 *   m x m layers and the biases); the trajectory, logs (n + nTest) rows of ~36 bytes, logs = steps /
 *   logEvery + 1. NTK check: the Jacobian of at most 300 points, 300 m (D + 1) doubles.
 *   Projection: the trajectory again, its kernel-regime twin (8 bytes a row), the eigenvectors
 *   and the test-train kernel (n^2 + nTest n doubles).
 * - disk, the artifacts at their peak: samples, the eigenvectors (n^2 doubles), the trajectory
 *   twice (its checkpointed parts and the final file, ~25 bytes a row), ten weight checkpoints
 *   (P doubles each) and the projections.
 * A sweep runs `sweep.concurrency` points at a time: memory is that many of its largest point,
 * disk the sum over its points.
 */
import { statfsSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { PipelineSpec } from './schema.js';
import { gridPointSpecs } from './grid.js';
import { parseSpec } from './schema.js';

/** One part of the estimate, with the spec field that drives it. */
export interface ResourcePart {
  /** The spec field to change to shrink this part, with its value: `data.n = 100000`. */
  field: string;
  /** What it is: "the Gram matrix and its eigenvectors (3 n^2 doubles)". */
  what: string;
  bytes: number;
}

export interface ResourceEstimate {
  /** Peak resident memory of one run (a sweep: of its concurrent points), bytes. */
  memoryBytes: number;
  /** The largest memory part, named for the refusal message. */
  memoryPart: ResourcePart;
  /** Artifacts on disk at their peak, bytes. */
  diskBytes: number;
  diskPart: ResourcePart;
  /** The longest single array any step allocates (elements), and what it is. */
  largestArray: { field: string; what: string; elements: number };
}

/** What this machine offers. */
export interface MachineLimits {
  memoryBytes: number;
  /** Free space where the artifacts go; null when it cannot be read. */
  freeDiskBytes: number | null;
  /** Longest typed array this JavaScript engine can allocate (elements). */
  maxArrayElements: number;
}

const DOUBLE = 8;
/** Bytes of one trajectory row in memory (step, idx, residual, split) and on disk (Arrow). */
const ROW_MEMORY = 36;
const ROW_DISK = 25;
/** Training writes about this many checkpoints (activities/train.ts). */
const CHECKPOINTS = 10;
/** The NTK check uses at most this many points (activities/ntk-check.ts). */
const NTK_CHECK_POINTS = 300;
/** Projection rows: kinds x sources x splits per degree and logged step, ~40 bytes each. */
const PROJECTION_ROW_BYTES = 40 * 3 * 2 * 2;

/** The resources one pipeline (no sweep) needs. Pure. */
export function estimateRun(spec: PipelineSpec): ResourceEstimate {
  const { dim, nTest } = spec.data;
  // File data with n absent: every row not held out, unknown until the file is read (the CLI's preflight fills it in).
  const n = spec.data.n ?? 0;
  const m = spec.model.width;
  const depth = spec.model.depth ?? 2;
  const family = depth !== 2 || spec.model.bias !== undefined || spec.model.activation !== undefined;
  // Weights (and biases) of every layer: the (L - 2) hidden m x m layers dominate when L > 2. The
  // paper's network has m (D + 1) (W1 and W2, no biases).
  const params = family ? m * (dim + 1) + (depth - 2) * m * (m + 1) + m + 1 : m * (dim + 1);
  const { steps, logEvery } = spec.training;
  const gram = spec.spectrum.gram;
  const logs = Math.floor(steps / logEvery) + 2;
  const rows = logs * (n + nTest);
  const degrees = spec.spectrum.maxDegree + 1;

  const nField = `data.n = ${n}`;
  const mField = `model.width = ${m}`;
  const logField = `training.steps / training.logEvery = ${steps} / ${logEvery}`;

  const gramPart: ResourcePart = {
    field: nField,
    what: 'the Gram matrix, its eigenvectors and the solver copy (3 n^2 doubles)',
    bytes: gram ? 3 * DOUBLE * n * n : 0,
  };
  const activations: ResourcePart = {
    field: mField,
    what: 'the hidden activations and gradients (3 (L - 1) (n + nTest) m doubles)',
    bytes: 3 * DOUBLE * (depth - 1) * (n + nTest) * m,
  };
  const weights: ResourcePart = {
    field: depth > 2 ? `${mField}, model.depth = ${depth}` : mField,
    what: family ? 'the weights (4 P doubles, P = m (D + 1) + (L - 2) m (m + 1) + m + 1)' : 'the weights (4 m (D + 1) doubles)',
    bytes: 4 * DOUBLE * params,
  };
  const ntk: ResourcePart = {
    field: mField,
    what: 'the NTK check Jacobian',
    bytes: DOUBLE * Math.min(n, NTK_CHECK_POINTS) * m * (dim + 1),
  };
  const trajectory: ResourcePart = {
    field: logField,
    what: `the trajectory (${logs} logged steps x (n + nTest) residuals)`,
    bytes: ROW_MEMORY * rows,
  };
  const parallel = [gramPart, activations, weights, ntk, trajectory];
  const projection: ResourcePart[] = [
    { ...trajectory, bytes: (ROW_MEMORY + DOUBLE) * rows },
    {
      field: nField,
      what: 'the eigenvectors and the test-train kernel ((n^2 + nTest n) doubles)',
      bytes: gram ? DOUBLE * (n * n + nTest * n) : 0,
    },
  ];
  const sum = (parts: ResourcePart[]) => parts.reduce((s, p) => s + p.bytes, 0);
  const memoryParts = sum(parallel) >= sum(projection) ? parallel : projection;

  const diskParts: ResourcePart[] = [
    { field: nField, what: 'the Gram eigenvectors (n^2 doubles)', bytes: gram ? DOUBLE * (n * n + 2 * n) : 0 },
    {
      field: logField,
      what: `the trajectory and its checkpointed parts (${logs} logged steps x (n + nTest) rows, twice)`,
      bytes: 2 * ROW_DISK * rows,
    },
    { field: mField, what: 'the weight checkpoints', bytes: CHECKPOINTS * DOUBLE * params },
    { field: `data.n + data.nTest = ${n + nTest}`, what: 'the samples', bytes: (n + nTest) * (DOUBLE * (dim + 2 + degrees) + 16) },
    { field: logField, what: 'the projections', bytes: logs * degrees * PROJECTION_ROW_BYTES },
  ];

  const arrays = [
    { field: nField, what: 'the Gram matrix (n^2 entries)', elements: gram ? n * n : 0 },
    {
      field: `${mField} (with data.n + data.nTest = ${n + nTest})`,
      what: 'the hidden activations ((n + nTest) m entries)',
      elements: (n + nTest) * m,
    },
    { field: logField, what: 'the trajectory ((steps / logEvery + 1) (n + nTest) rows)', elements: rows },
    { field: `${mField}, model.depth = ${depth}`, what: 'the weights of all layers (P entries)', elements: depth > 2 ? params : 0 },
  ];
  return {
    memoryBytes: sum(memoryParts),
    memoryPart: largest(memoryParts),
    diskBytes: sum(diskParts),
    diskPart: largest(diskParts),
    largestArray: arrays.reduce((a, b) => (b.elements > a.elements ? b : a)),
  };
}

/**
 * The resources of a spec: one run, or a sweep's points (`sweep.concurrency` of them at a
 * time for memory, all of them for disk). Pure; the spec must be valid.
 */
export function estimateResources(spec: PipelineSpec): ResourceEstimate {
  if (!spec.sweep) return estimateRun(spec);
  let worst: ResourceEstimate | null = null;
  let disk = 0;
  let diskPart: ResourcePart | null = null;
  let points = 0;
  for (const point of gridPointSpecs(spec as unknown as Record<string, unknown>)) {
    const e = estimateRun(parseSpec(point.spec));
    points++;
    disk += e.diskBytes;
    if (!diskPart || e.diskPart.bytes > diskPart.bytes) diskPart = e.diskPart;
    if (!worst || e.memoryBytes > worst.memoryBytes) worst = e;
    if (e.largestArray.elements > worst.largestArray.elements) worst = { ...worst, largestArray: e.largestArray };
  }
  const concurrent = Math.min(spec.sweep.concurrency, points);
  return {
    ...worst!,
    memoryBytes: concurrent * worst!.memoryBytes,
    diskBytes: disk,
    diskPart: { ...diskPart!, field: `${diskPart!.field} (over ${points} sweep points)` },
  };
}

/** Why the estimate cannot run on this machine, as one line; null when it fits. */
export function refusal(need: ResourceEstimate, have: MachineLimits, allowLarge = false): string | null {
  const a = need.largestArray;
  if (a.elements > have.maxArrayElements) {
    return `${a.field}: ${a.what} would have ${sci(a.elements)} entries, more than the ${sci(have.maxArrayElements)} that one array can hold here (--allow-large cannot lift this)`;
  }
  if (allowLarge) return null;
  const hint = 'pass --allow-large to run anyway';
  if (need.memoryBytes > have.memoryBytes) {
    const p = need.memoryPart;
    return `${p.field}: the run needs about ${bytes(need.memoryBytes)} of memory (${p.what}: ${bytes(p.bytes)}), but this machine has ${bytes(have.memoryBytes)}; ${hint}`;
  }
  if (have.freeDiskBytes !== null && need.diskBytes > have.freeDiskBytes) {
    const p = need.diskPart;
    return `${p.field}: the artifacts need about ${bytes(need.diskBytes)} of disk (${p.what}: ${bytes(p.bytes)}), but the data root has ${bytes(have.freeDiskBytes)} free; ${hint}`;
  }
  return null;
}

/** This machine's memory (its cgroup limit when lower), the free disk under `dataRoot`, and V8's array limit. */
export function machineLimits(dataRoot: string): MachineLimits {
  const constrained = process.constrainedMemory?.() ?? 0;
  const memoryBytes = constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
  let freeDiskBytes: number | null = null;
  // The data root may not exist yet: ask the nearest folder above it that does.
  for (let dir = resolve(dataRoot); ; dir = dirname(dir)) {
    try {
      const s = statfsSync(dir);
      freeDiskBytes = s.bavail * s.bsize;
      break;
    } catch {
      if (dirname(dir) === dir) break;
    }
  }
  return { memoryBytes, freeDiskBytes, maxArrayElements: bufferConstants.MAX_LENGTH };
}

/** Bytes for people: 1.2 GB, 80 TB (powers of 1000). */
export function bytes(b: number): string {
  if (b >= 1e21) return `${b.toExponential(1)} bytes`;
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let i = 0;
  while (b >= 1000 && i < units.length - 1) {
    b /= 1000;
    i++;
  }
  return i === 0 ? `${b} bytes` : `${b < 10 ? b.toFixed(1) : b.toFixed(0)} ${units[i]}`;
}

function sci(x: number): string {
  return x < 1e6 ? String(x) : x.toExponential(2);
}

function largest(parts: ResourcePart[]): ResourcePart {
  return parts.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}
