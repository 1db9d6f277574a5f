/**
 * Pure numerics for specbias: spherical harmonics, quadrature, the NTK and its spectrum, sphere
 * sampling and input distributions, harmonic and zonal targets, symmetric eigendecomposition,
 * per-degree and per-eigenspace projections, the kernel-regime twin and the empirical NTK.
 *
 *   import { Prng, sampleSphere, ntkGram, symmetricEigen, ntkSpectrum } from '../math/index.js';
 *   const x = sampleSphere(new Prng(0, 'sample/train'), 500, 5);
 *   const { values } = symmetricEigen(ntkGram(x, 500, 5), 500);   // values / 500 ~ mu_k
 *   ntkSpectrum(5, 4);
 *
 * Everything here is pure: typed arrays and numbers in and out, randomness only from a Prng.
 */
export { Prng, type PrngState } from './prng.js';
export { lgamma } from './gamma.js';
export { gegenbauer, gegenbauerAll, gegenbauerOf, multiplicity } from './gegenbauer.js';
export { gaussLegendre, gaussHermite, normalTrapezoid, type QuadratureRule } from './quadrature.js';
export {
  kappa,
  mu,
  ntkSpectrum,
  ntkGram,
  ntkQuadratics,
  theoryRate,
  sphereAreaRatio,
  NUMERICAL_ZERO_TOLERANCE,
  type SpectrumEntry,
} from './ntk.js';
export {
  ACTIVATIONS,
  C_SIGMA,
  MAX_DEPTH,
  PAPER_MODEL,
  familyKernel,
  familyKernelAtOne,
  familyKernelFunction,
  familySpectrum,
  isPaperModel,
  modelFamilyOf,
  modelFamilyProblem,
  type Activation,
  type FamilySpectrumEntry,
  type ModelFamily,
} from './ntk-family.js';
export { erf, erfc } from './erf.js';
export { sampleSphere, randomUnitVector, dot } from './sphere.js';
export { harmonicsTarget, type HarmonicComponent } from './targets.js';
export {
  symmetricEigen,
  symmetricEigenInWorker,
  eigenMethod,
  type EigenMethod,
  type SymmetricEigenOptions,
  type SymmetricEigenResult,
} from './eigen.js';
export { unitVector, targetProjection } from './projection.js';
export {
  sampleDistribution,
  capFraction,
  DISTRIBUTION_DEFAULTS,
  DISTRIBUTION_KINDS,
  MIN_REGION_FRACTION,
  MAX_REJECTION_ATTEMPTS,
  DistributionError,
  type Distribution,
  type DistributionKind,
  type UniformDistribution,
  type PiecewiseUniformDistribution,
  type AnisotropicGaussianDistribution,
  type GaussianMixtureDistribution,
  type MixtureComponent,
} from './distributions.js';
export { cosineTarget, evenPolyTarget, zonalDegreeCoefficients, zonalDegreeParts } from './target-functions.js';
export { kernelResiduals, kernelTestResiduals, ntkCross } from './kernel-regime.js';
export {
  clusterByMultiplicity,
  clusterByGaps,
  eigenspaceProjection,
  harmonicEnergy,
  harmonicEnergyOffDiagonal,
  clusterByZonalEnergy,
  clustersFromZonalEnergies,
  zonalEnergies,
  GAP_CLUSTER_FLOOR,
} from './eigenspace.js';
export {
  empiricalNtk,
  empiricalNtkCross,
  empiricalNtkGram,
  empiricalNtkByProducts,
  empiricalNtkGramAndCross,
  empiricalNtkQuadratics,
  empiricalNtkQuadraticsByProducts,
  relativeFrobeniusError,
} from './empirical-ntk.js';
export { empiricalNtkDeepGram, empiricalNtkDeepGramAndCross, empiricalNtkDeepQuadratics } from './empirical-ntk-deep.js';
export { familyCross, familyGram, familyQuadratics } from './family-gram.js';
export { finiteWidthTwin, type FiniteWidthTwin, type FiniteWidthTwinInput } from './finite-width-twin.js';
export { regularizedBeta, slopeInterval, studentTCdf, studentTQuantile, tInterval, type TInterval } from './student-t.js';
