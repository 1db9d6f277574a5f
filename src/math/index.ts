/**
 * Pure numerics for specbias: spherical harmonics, quadrature, the NTK and its spectrum, sphere
 * sampling, harmonic targets and symmetric eigendecomposition.
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
export { gegenbauer, gegenbauerAll, multiplicity } from './gegenbauer.js';
export { gaussLegendre, type QuadratureRule } from './quadrature.js';
export {
  kappa,
  mu,
  ntkSpectrum,
  ntkGram,
  theoryRate,
  sphereAreaRatio,
  NUMERICAL_ZERO_TOLERANCE,
  type SpectrumEntry,
} from './ntk.js';
export { sampleSphere, randomUnitVector, dot } from './sphere.js';
export { harmonicsTarget, type HarmonicComponent } from './targets.js';
export {
  symmetricEigen,
  symmetricEigenInWorker,
  type SymmetricEigenOptions,
  type SymmetricEigenResult,
} from './eigen.js';
