#!/usr/bin/env node
/**
 * The model family's analysis costs at paper size (needs `npm run build` first):
 *
 *   node bench/family.mjs                    # n = 1000, D = 10; the Θ̂₀ row at m = 1024
 *   node bench/family.mjs --n 2000 --width 4096
 *
 * Per model: the analytic Gram K = kappa(XXᵀ) (familyGram; tanh and GELU include building their
 * Chebyshev interpolant, done once per model and process), and the finite-width twin's Θ̂₀ with
 * its test-train block at nTest = n (empiricalNtkDeepGramAndCross, BLAS where the addon has it).
 */
import { parseArgs } from 'node:util';
import { empiricalNtkDeepGramAndCross, familyGram, Prng, sampleSphere } from '../dist/src/math/index.js';
import { initDeepWeights } from '../dist/src/model/reference-deep.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '1000' }, dim: { type: 'string', default: '10' }, width: { type: 'string', default: '1024' } },
});
const n = Number(values.n);
const dim = Number(values.dim);
const width = Number(values.width);
const x = sampleSphere(new Prng(0, 'bench/x'), n, dim);
const xTest = sampleSphere(new Prng(0, 'bench/test'), n, dim);
const models = [
  { depth: 2, bias: 0, activation: 'relu' },
  { depth: 3, bias: 0.5, activation: 'relu' },
  { depth: 3, bias: 0.5, activation: 'erf' },
  { depth: 3, bias: 0.5, activation: 'tanh' },
  { depth: 3, bias: 0.5, activation: 'gelu' },
  { depth: 4, bias: 1, activation: 'tanh' },
];
const seconds = (f) => {
  const t0 = performance.now();
  f();
  return ((performance.now() - t0) / 1000).toFixed(3);
};
console.log(`n = ${n}, D = ${dim}; Θ̂₀ at m = ${width} with nTest = ${n}`);
console.log('model                 K (s)   K again (s)   Θ̂₀ + cross (s)');
for (const model of models) {
  const first = seconds(() => familyGram(model, x, n, dim));
  const again = seconds(() => familyGram(model, x, n, dim));
  const w = initDeepWeights(0, model, width, dim);
  const twin = seconds(() => empiricalNtkDeepGramAndCross(w, x, n, xTest, n));
  const name = `L=${model.depth} b=${model.bias} ${model.activation}`;
  console.log(`${name.padEnd(20)}  ${first.padStart(5)}   ${again.padStart(11)}   ${twin.padStart(14)}`);
}
