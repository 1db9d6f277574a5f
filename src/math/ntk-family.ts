/**
 * The NTK of the model family (depth L, bias scale beta, activation) on the unit sphere, and its
 * Mercer eigenvalues mu_k; `ntk.ts` is the paper's member (L = 2, beta = 0, ReLU) in closed form.
 *
 *   familyKernel({ depth: 3, bias: 0.5, activation: 'relu' }, 0.3);   // kappa(0.3)
 *   familySpectrum(10, 8, { depth: 3, bias: 0.5, activation: 'relu' });
 *
 * The kernel is the recursion of Arora et al. (2019, "On exact computation with an infinitely wide
 * neural net") with the paper's layer weighting (docs/science.md, "The model family"):
 *   Sigma^(0)(t) = t + beta^2,
 *   Sigma^(h) = c_s E[s(u) s(v)] + beta^2,  dSigma^(h) = c_s E[s'(u) s'(v)],  h = 1 .. L-1,
 *   (u, v) ~ N(0, [[Sigma^(h-1)(1), Sigma^(h-1)(t)], [Sigma^(h-1)(t), Sigma^(h-1)(1)]]),
 *   kappa = Sigma^(L-1) + (1/2) sum_{h=1}^{L-1} Sigma^(h-1) prod_{h'=h}^{L-1} dSigma^(h').
 * The output layer's term counts fully and every earlier layer's term half, because the paper's
 * raw initialisation gives earlier layers twice the output layer's variance and one step size.
 *
 * Expectations: ReLU by the arc-cosine kernels, erf by the arcsine kernel (closed forms, any
 * order of derivative through `Jet`); tanh and GELU by a 2-D product quadrature rule (values
 * only; `expectationRule` says why the trapezoid rule rather than Gauss–Hermite).
 */
import { erf } from './erf.js';
import { lgamma } from './gamma.js';
import { gegenbauerAll, multiplicity } from './gegenbauer.js';
import { Jet } from './jet.js';
import { integrateDegreesInAngle, sphereAreaRatio } from './ntk.js';
import { normalTrapezoid, type QuadratureRule } from './quadrature.js';

export const ACTIVATIONS = ['relu', 'erf', 'tanh', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** A member of the family: `depth` weight layers (>= 2), bias scale `bias` (>= 0), activation. */
export interface ModelFamily {
  depth: number;
  bias: number;
  activation: Activation;
}

/** The paper's network: two layers, no bias, ReLU. */
export const PAPER_MODEL: Readonly<ModelFamily> = Object.freeze({ depth: 2, bias: 0, activation: 'relu' });

/** The largest depth accepted; the recursion's cost grows linearly, this only bounds typos. */
export const MAX_DEPTH = 64;

/**
 * c_sigma: 2 for the ReLU-like activations (ReLU, GELU), so that a ReLU layer keeps the variance
 * of its input; 1 for the bounded ones (erf, tanh).
 */
export const C_SIGMA: Readonly<Record<Activation, number>> = Object.freeze({ relu: 2, erf: 1, tanh: 1, gelu: 2 });

/**
 * The stated absolute error of each quadrature expectation (tanh, GELU): the trapezoid rule of
 * `expectationRule` agrees with one of a third the step to <= 1e-15 for variances 0.5 .. 5, and
 * with 180-point Gauss–Hermite where that rule has converged (test/math/ntk-family.test.ts).
 */
export const EXPECTATION_ERROR = 1e-14;

/** The first problem with a model's parameters, naming the field, or null when it is valid. */
export function modelFamilyProblem(model: {
  depth?: unknown;
  bias?: unknown;
  activation?: unknown;
}): { field: 'depth' | 'bias' | 'activation'; detail: string } | null {
  const { depth, bias, activation } = model;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 2 || depth > MAX_DEPTH) {
    return { field: 'depth', detail: `must be an integer in [2, ${MAX_DEPTH}] (the number of weight layers), got ${String(depth)}` };
  }
  if (typeof bias !== 'number' || !Number.isFinite(bias) || bias < 0) {
    return { field: 'bias', detail: `must be a finite number >= 0, got ${String(bias)}` };
  }
  if (typeof activation !== 'string' || !(ACTIVATIONS as readonly string[]).includes(activation)) {
    return { field: 'activation', detail: `must be one of ${ACTIVATIONS.join(', ')}, got ${String(activation)}` };
  }
  return null;
}

export function isPaperModel(model: ModelFamily): boolean {
  return model.depth === 2 && model.bias === 0 && model.activation === 'relu';
}

/**
 * The member a spec's `model` section names: its `depth`, `bias`, `activation` with the paper's
 * values where absent (the spec drops explicit defaults, so absent is the paper's).
 */
export function modelFamilyOf(model: { depth?: number; bias?: number; activation?: Activation }): ModelFamily {
  return {
    depth: model.depth ?? PAPER_MODEL.depth,
    bias: model.bias ?? PAPER_MODEL.bias,
    activation: model.activation ?? PAPER_MODEL.activation,
  };
}

/** Whether mu_k comes from closed-form derivatives (relu, erf) or from kernel values (tanh, gelu). */
export function hasClosedForm(activation: Activation): boolean {
  return activation === 'relu' || activation === 'erf';
}

/**
 * Sigma^(h) at t = cos theta as a jet, with the two differences the next layer needs near
 * t = +-1 carried with accurate constant terms: gap = Sigma(1) - Sigma(t), rim = Sigma(1) + Sigma(t).
 */
interface Layer {
  sigma: Jet;
  gap: Jet;
  rim: Jet;
  diag: number;
}

/**
 * kappa(cos theta + sin^2 theta e) to order `order` in e: coefficient k is
 * kappa^(k)(t) (1 - t^2)^k / k!, which stays O(2^k) up to the endpoints (an unscaled series would
 * overflow there). Order 0 gives the value alone, for every activation.
 */
export function familyKernelJet(model: ModelFamily, theta: number, order: number): Jet {
  if (order > 0 && !hasClosedForm(model.activation))
    throw new RangeError(`kernel derivatives need a closed form; ${model.activation} has values only`);
  const b2 = model.bias * model.bias;
  const t = Math.cos(theta);
  const u = Math.sin(theta) ** 2;
  const sHalf = Math.sin(theta / 2);
  const cHalf = Math.cos(theta / 2);
  let layer: Layer = {
    sigma: Jet.variable(t + b2, u, order),
    gap: Jet.variable(2 * sHalf * sHalf, -u, order),
    rim: Jet.variable(2 * cHalf * cHalf + 2 * b2, u, order),
    diag: 1 + b2,
  };
  let acc = layer.sigma.scale(0.5);
  for (let h = 1; h < model.depth; h++) {
    const { next, dot } = propagate(model.activation, layer, b2);
    acc = h < model.depth - 1 ? acc.mul(dot).add(next.sigma.scale(0.5)) : acc.mul(dot).add(next.sigma);
    layer = next;
  }
  return acc;
}

/** kappa(t) of the model, for t in [-1, 1] (clamped: rounding can push inner products past +-1). */
export function familyKernel(model: ModelFamily, t: number): number {
  const c = t > 1 ? 1 : t < -1 ? -1 : t;
  return familyKernelJet(model, Math.acos(c), 0).value;
}

/**
 * kappa as a fast function of t in [-1, 1] (clamped), for Gram matrices (one value per pair):
 * relu and erf by the closed-form recursion on plain numbers ({@link familyKernelValue}, the
 * same arithmetic as {@link familyKernel}, ~25x faster); tanh and gelu by the Chebyshev
 * interpolant of {@link familyKernelInterpolant} (within its `error`, ~1e-15, of the quadrature
 * kernel), since each of their values costs a 2-D quadrature per layer.
 */
export function familyKernelFunction(model: ModelFamily): (t: number) => number {
  const problem = modelFamilyProblem(model);
  if (problem) throw new RangeError(`model ${problem.field} ${problem.detail}`);
  const clamp = (t: number) => (t > 1 ? 1 : t < -1 ? -1 : t);
  if (hasClosedForm(model.activation)) return (t) => familyKernelValue(model, Math.acos(clamp(t)));
  const { at } = familyKernelInterpolant(model);
  return (t) => at(clamp(t));
}

/** The interpolants built so far, by model: the spectrum and every Gram of one model share one. */
const interpolants = new Map<string, ReturnType<typeof chebyshevInterpolant>>();

/** The Chebyshev interpolant of the model's kappa in t (built once per model and process). */
export function familyKernelInterpolant(model: ModelFamily): ReturnType<typeof chebyshevInterpolant> {
  const key = `${model.depth}/${model.bias}/${model.activation}`;
  let interpolant = interpolants.get(key);
  if (!interpolant) {
    interpolant = chebyshevInterpolant((theta) => familyKernelJet(model, theta, 0).value);
    interpolants.set(key, interpolant);
  }
  return interpolant;
}

/**
 * kappa(cos theta) for relu and erf: {@link familyKernelJet} at order 0 written on numbers, the
 * same operations in the same order (so the same bits), without a Float64Array per operation.
 */
export function familyKernelValue(model: ModelFamily, theta: number): number {
  const b2 = model.bias * model.bias;
  const sHalf = Math.sin(theta / 2);
  const cHalf = Math.cos(theta / 2);
  let sigma = Math.cos(theta) + b2;
  let gap = 2 * sHalf * sHalf;
  let rim = 2 * cHalf * cHalf + 2 * b2;
  let diag = 1 + b2;
  let acc = sigma * 0.5;
  const relu = model.activation === 'relu';
  if (!relu && model.activation !== 'erf') throw new RangeError(`familyKernelValue needs a closed form; ${model.activation} has none`);
  for (let h = 1; h < model.depth; h++) {
    const a = diag;
    let dot: number;
    if (relu) {
      const oneMinusRho = gap * (1 / a);
      const onePlusRho = rim * (1 / a);
      const rho = sigma * (1 / a);
      const sinPhi = Math.sqrt(oneMinusRho * onePlusRho);
      const g0 = oneMinusRho;
      const phi0 =
        g0 <= 1 ? 2 * Math.asin(Math.sqrt(Math.max(0, g0) / 2)) : Math.PI - 2 * Math.asin(Math.sqrt(Math.max(0, onePlusRho) / 2));
      const piMinusPhi = -phi0 + Math.PI;
      const k1 = (sinPhi + piMinusPhi * rho) * (1 / Math.PI);
      dot = piMinusPhi * (1 / Math.PI);
      sigma = k1 * a + b2;
      diag = a + b2;
      gap = (a * (Math.PI * g0 - sinMinusPhiCos(phi0))) / Math.PI;
      rim = k1 * a + (a + 2 * b2);
    } else {
      const b = 1 + 2 * a;
      const x = sigma * (2 / b);
      const root = Math.sqrt(-(x * x) + 1);
      sigma = Math.asin(x) * (2 / Math.PI) + b2;
      dot = 4 / (Math.PI * b) / root;
      diag = (2 / Math.PI) * Math.asin((2 * a) / b) + b2;
      gap = -sigma + diag;
      rim = sigma + diag;
    }
    acc = h < model.depth - 1 ? acc * dot + sigma * 0.5 : acc * dot + sigma;
  }
  return acc;
}

function propagate(activation: Activation, prev: Layer, b2: number): { next: Layer; dot: Jet } {
  switch (activation) {
    case 'relu':
      return reluLayer(prev, b2);
    case 'erf':
      return erfLayer(prev, b2);
    case 'tanh':
    case 'gelu':
      return quadratureLayer(activation, prev, b2);
  }
}

/**
 * ReLU, c = 2: with rho = cos phi the correlation and a the variance,
 *   Sigma = a (sin phi + (pi - phi) cos phi) / pi + beta^2,  dSigma = (pi - phi) / pi.
 */
function reluLayer(prev: Layer, b2: number): { next: Layer; dot: Jet } {
  const a = prev.diag;
  const oneMinusRho = prev.gap.scale(1 / a);
  const onePlusRho = prev.rim.scale(1 / a);
  const rho = prev.sigma.scale(1 / a);
  const sinPhi = oneMinusRho.mul(onePlusRho).sqrt();
  const g0 = oneMinusRho.value;
  const phi0 =
    g0 <= 1 ? 2 * Math.asin(Math.sqrt(Math.max(0, g0) / 2)) : Math.PI - 2 * Math.asin(Math.sqrt(Math.max(0, onePlusRho.value) / 2));
  // d phi = -d rho / sin phi = d(1 - rho) / sin phi.
  const phi = oneMinusRho.derivative().div(sinPhi).integral(phi0);
  const piMinusPhi = phi.scale(-1).add(Math.PI);
  const k1 = sinPhi.add(piMinusPhi.mul(rho)).scale(1 / Math.PI);
  const dot = piMinusPhi.scale(1 / Math.PI);
  const sigma = k1.scale(a).add(b2);
  const diag = a + b2;
  // 1 - k1 = [pi (1 - cos phi) - (sin phi - phi cos phi)] / pi, its constant term without cancellation.
  const gap = k1.scale(-a).withValue((a * (Math.PI * g0 - sinMinusPhiCos(phi0))) / Math.PI);
  const rim = k1.scale(a).add(a + 2 * b2);
  return { next: { sigma, gap, rim, diag }, dot };
}

/** sin phi - phi cos phi, by its series sum_{n>=1} (-1)^(n+1) 2n phi^(2n+1) / (2n+1)! below 1. */
function sinMinusPhiCos(phi: number): number {
  if (phi >= 1) return Math.sin(phi) - phi * Math.cos(phi);
  const p2 = phi * phi;
  let term = phi; // phi^(2n+1) / (2n+1)! at n = 0
  let sum = 0;
  for (let n = 1; n < 20; n++) {
    term *= -p2 / (2 * n * (2 * n + 1));
    sum -= 2 * n * term;
  }
  return sum;
}

/**
 * erf, c = 1: with b = 1 + 2a and x = 2 Sigma(t) / b,
 *   E[erf(u) erf(v)] = (2/pi) arcsin x,  E[erf'(u) erf'(v)] = (4/pi) / sqrt(b^2 - 4 Sigma(t)^2)
 * (the latter is (4/pi) det(I + 2C)^(-1/2) for the covariance C). |x| <= 2a / (1 + 2a) < 1, so
 * nothing is singular.
 */
function erfLayer(prev: Layer, b2: number): { next: Layer; dot: Jet } {
  const a = prev.diag;
  const b = 1 + 2 * a;
  const x = prev.sigma.scale(2 / b);
  const root = x.mul(x).scale(-1).add(1).sqrt(); // sqrt(1 - x^2)
  const arcsin = x.derivative().div(root).integral(Math.asin(x.value));
  const sigma = arcsin.scale(2 / Math.PI).add(b2);
  const dot = Jet.constant(4 / (Math.PI * b), x.order).div(root);
  const diag = (2 / Math.PI) * Math.asin((2 * a) / b) + b2;
  return { next: { sigma, gap: sigma.scale(-1).add(diag), rim: sigma.add(diag), diag }, dot };
}

// The quadrature asks for f(x) and then f'(x) at the same x: keep erf(x / sqrt 2) of the last x,
// which halves GELU's erf calls (the values are the same bits).
let erfArg = Number.NaN;
let erfValue = 0;
const erfHalf = (x: number) => {
  if (x !== erfArg) {
    erfArg = x;
    erfValue = erf(x / Math.SQRT2);
  }
  return erfValue;
};
const gelu = (x: number) => 0.5 * x * (1 + erfHalf(x));
const geluPrime = (x: number) => 0.5 * (1 + erfHalf(x)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
const tanhPrime = (x: number) => {
  const y = Math.tanh(x);
  return 1 - y * y;
};

/**
 * tanh or GELU by a product rule in (z1, z2): u = p z1 + q z2, v = p z1 - q z2 with
 * p^2 = (a + Sigma) / 2, q^2 = (a - Sigma) / 2, so Var u = Var v = a and Cov = Sigma.
 */
function quadratureLayer(activation: 'tanh' | 'gelu', prev: Layer, b2: number): { next: Layer; dot: Jet } {
  const { f, df } = activation === 'tanh' ? { f: Math.tanh, df: tanhPrime } : { f: gelu, df: geluPrime };
  const c = C_SIGMA[activation];
  const a = prev.diag;
  const rule = expectationRule(a);
  const p = Math.sqrt(Math.max(0, prev.rim.value) / 2);
  const q = Math.sqrt(Math.max(0, prev.gap.value) / 2);
  const { both, derivatives } = gaussianPairExpectations(f, df, p, q, rule);
  const sqrtA = Math.sqrt(a);
  let square = 0;
  for (let i = 0; i < rule.nodes.length; i++) square += rule.weights[i]! * f(sqrtA * rule.nodes[i]!) ** 2;
  const diag = c * square + b2;
  const sigma = Jet.constant(c * both + b2, 0);
  return {
    next: { sigma, gap: Jet.constant(diag - sigma.value, 0), rim: Jet.constant(diag + sigma.value, 0), diag },
    dot: Jet.constant(c * derivatives, 0),
  };
}

/**
 * The 1-D rule for expectations over N(0, 1) at input variance a: the trapezoid rule for the strip
 * |Im z| < 0.8 pi / (2 sqrt(2a)). For tanh that is inside its poles (tanh(p z1 + q z2) has its
 * nearest at Im z = pi / (2 (|p| + |q|)), and |p| + |q| <= sqrt(2a)); GELU is entire and grows
 * there by at most e^(2 a d^2) < 5. Gauss–Hermite, the textbook choice, converges only like
 * e^(-c sqrt(n)) for tanh: at order 180 its error is 1e-11 at variance 2 (beta = 1) and 2e-7 at
 * variance 5, and for GELU 5e-13 at variance 5; it remains the tests' independent reference.
 */
export function expectationRule(variance: number): QuadratureRule {
  return normalTrapezoid((0.8 * Math.PI) / (2 * Math.sqrt(2 * variance)));
}

/**
 * E[f(u) f(v)] and E[f'(u) f'(v)] for u = p z1 + q z2, v = p z1 - q z2, z ~ N(0, I_2), by the
 * product of a symmetric 1-D rule with itself. The nodes are symmetric (x_{n-1-j} = -x_j), so
 * v at (i, j) is u at (i, n-1-j) and one table of f serves both.
 */
export function gaussianPairExpectations(
  f: (x: number) => number,
  df: (x: number) => number,
  p: number,
  q: number,
  rule: QuadratureRule,
): { both: number; derivatives: number } {
  const { nodes, weights } = rule;
  const n = nodes.length;
  const fu = new Float64Array(n);
  const du = new Float64Array(n);
  let both = 0;
  let derivatives = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = p * nodes[i]! + q * nodes[j]!;
      fu[j] = f(x);
      du[j] = df(x);
    }
    let s = 0;
    let d = 0;
    for (let j = 0; j < n; j++) {
      s += weights[j]! * fu[j]! * fu[n - 1 - j]!;
      d += weights[j]! * du[j]! * du[n - 1 - j]!;
    }
    both += weights[i]! * s;
    derivatives += weights[i]! * d;
  }
  return { both, derivatives };
}

export interface FamilySpectrumEntry {
  degree: number;
  mu: number;
  multiplicity: number;
  /**
   * |mu_k| is within 100 x errorBound of 0: zero by a symmetry of the model (odd k >= 3 for the
   * paper's network, even k for an odd activation without bias) or below what this computation
   * resolves. `mu` still holds the computed value.
   */
  numericalZero: boolean;
  /** An estimate of |computed - exact|: the last quadrature refinement, rounding, and kernel error. */
  errorBound: number;
}

/**
 * mu_k, k = 0 .. maxDegree, of the model's kernel on S^(dim-1): kappa(<x,x'>) = sum_k mu_k N(D,k)
 * P_k(<x,x'>).
 *
 * - relu, erf (closed forms): the k-fold integration by parts of `ntk.ts`,
 *     mu_k = (omega ratio) k! / (2^k ((D-1)/2)_k) int_0^pi c_k(theta) sin^(D-2) theta d theta,
 *   with c_k = kappa^(k)(t) (1-t^2)^k / k! from `familyKernelJet`. Nothing oscillates, so mu_k
 *   keeps ~1e-13 relative accuracy however small it is; only symmetry zeros cancel.
 * - tanh, gelu: the formula as written, (omega ratio) int kappa(cos theta) P_k(cos theta)
 *   sin^(D-2) theta d theta, whose absolute error is ~1e-15 plus the expectations' error, so
 *   only mu_k well above ~1e-10 kappa(1) get 1e-10 relative accuracy (see `errorBound`).
 */
export function familySpectrum(dim: number, maxDegree: number, model: ModelFamily): FamilySpectrumEntry[] {
  if (!Number.isInteger(dim) || dim < 2) throw new RangeError(`dim must be an integer >= 2, got ${dim}`);
  if (!Number.isInteger(maxDegree) || maxDegree < 0) throw new RangeError(`degree must be an integer >= 0, got ${maxDegree}`);
  const problem = modelFamilyProblem(model);
  if (problem) throw new RangeError(`model ${problem.field} ${problem.detail}`);
  const ratio = sphereAreaRatio(dim);
  let integrals: ReturnType<typeof integrateDegreesInAngle>;
  let kernelError = 0;
  if (hasClosedForm(model.activation)) {
    const scale = new Float64Array(maxDegree + 1);
    for (let k = 0; k <= maxDegree; k++) {
      scale[k] = Math.exp(Math.log(ratio) + lgamma(k + 1) - k * Math.LN2 - (lgamma((dim - 1) / 2 + k) - lgamma((dim - 1) / 2)));
    }
    integrals = integrateDegreesInAngle(maxDegree + dim, maxDegree, (theta, out) => {
      const c = familyKernelJet(model, theta, maxDegree).c;
      const w = Math.pow(Math.sin(theta), dim - 2);
      for (let k = 0; k <= maxDegree; k++) out[k] = scale[k]! * c[k]! * w;
    });
  } else {
    const p = new Float64Array(maxDegree + 1);
    // Each kernel value costs a 2-D quadrature per layer, so sample kappa once on Chebyshev points.
    const interpolant = familyKernelInterpolant(model);
    integrals = integrateDegreesInAngle(maxDegree + dim, maxDegree, (theta, out) => {
      const kappa = interpolant.at(Math.cos(theta));
      gegenbauerAll(dim, maxDegree, Math.cos(theta), p);
      const w = ratio * kappa * Math.pow(Math.sin(theta), dim - 2);
      for (let k = 0; k <= maxDegree; k++) out[k] = w * p[k]!;
    });
    // |P_k| <= 1 and the weight integrates to 1, so a kernel error e moves mu_k by at most e.
    kernelError = kernelErrorBound(model) + interpolant.error;
  }
  const out: FamilySpectrumEntry[] = [];
  for (let k = 0; k <= maxDegree; k++) {
    const value = integrals.values[k]!;
    const errorBound = integrals.errors[k]! + 1e-15 * integrals.absValues[k]! + kernelError;
    out.push({ degree: k, mu: value, multiplicity: multiplicity(dim, k), numericalZero: Math.abs(value) <= 100 * errorBound, errorBound });
  }
  return out;
}

/**
 * The Chebyshev interpolant of a function of t on [-1, 1], given as a function of theta = arccos t
 * (so t = +-1 are exact nodes), on N + 1 Chebyshev–Lobatto points with N doubled from 16 until
 * the top quarter of the coefficients is below 1e-15 of the largest (the function is analytic
 * on [-1, 1], so they fall geometrically). `error` is the sum of that top quarter, a bound on the
 * interpolation error; `at` uses Clenshaw's recurrence.
 */
export function chebyshevInterpolant(
  fOfAngle: (theta: number) => number,
  maxPoints = 1024,
): { at: (t: number) => number; error: number; points: number } {
  let coefficients = new Float64Array(0);
  let error = Infinity;
  let n = 16;
  let previous = new Float64Array(0);
  for (; n <= maxPoints; n *= 2) {
    // The points for N are those for N/2 and the midpoints between them.
    const values = new Float64Array(n + 1);
    for (let j = 0; j <= n; j++) values[j] = j % 2 === 0 && previous.length > 0 ? previous[j / 2]! : fOfAngle((Math.PI * j) / n);
    previous = values;
    // c_k = (2/N) sum'' f_j cos(pi j k / N), halving the end terms (and c_0, c_N).
    coefficients = new Float64Array(n + 1);
    let largest = 0;
    for (let k = 0; k <= n; k++) {
      let sum = 0;
      for (let j = 0; j <= n; j++) sum += (j === 0 || j === n ? 0.5 : 1) * values[j]! * Math.cos((Math.PI * ((j * k) % (2 * n))) / n);
      coefficients[k] = ((k === 0 || k === n ? 0.5 : 1) * 2 * sum) / n;
      largest = Math.max(largest, Math.abs(coefficients[k]!));
    }
    error = 0;
    for (let k = Math.floor((3 * n) / 4); k <= n; k++) error += Math.abs(coefficients[k]!);
    if (error <= 1e-15 * largest * (n / 16)) break;
  }
  const c = coefficients;
  const at = (t: number) => {
    let b1 = 0;
    let b2 = 0;
    for (let k = c.length - 1; k >= 1; k--) {
      const b0 = 2 * t * b1 - b2 + c[k]!;
      b2 = b1;
      b1 = b0;
    }
    return t * b1 - b2 + c[0]!;
  };
  return { at, error, points: c.length };
}

/**
 * An estimate of the kernel's absolute error from the quadrature expectations: 2 (L - 1)
 * expectations of error EXPECTATION_ERROR each, scaled by the kernel's size kappa(1).
 */
function kernelErrorBound(model: ModelFamily): number {
  return 2 * (model.depth - 1) * EXPECTATION_ERROR * Math.max(1, familyKernelAtOne(model));
}

/** kappa(1) exactly from the recursion's diagonal, for the check kappa(1) = sum_k N(D,k) mu_k. */
export function familyKernelAtOne(model: ModelFamily): number {
  return familyKernelJet(model, 0, 0).value;
}
