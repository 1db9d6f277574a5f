/**
 * `specbias spectrum --dim D --max-degree K [--depth L --bias B --activation A]`: the analytic NTK
 * eigenvalues mu_k and N(D,k) of the paper's network (the default) or any member of the family.
 */
import { ntkSpectrum, theoryRate } from '../math/ntk.js';
import { ACTIVATIONS, familySpectrum, isPaperModel, MAX_DEPTH, type Activation, type ModelFamily } from '../math/ntk-family.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { formatNumber, formatTable, print, printJson } from './io.js';

function intFlag(values: CommandArgs['values'], name: string, min: number, max: number, fallback?: number): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    throw new CliError(`spectrum: --${name} is required`, 2);
  }
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new CliError(`spectrum: --${name} must be an integer in [${min}, ${max}], got ${String(raw)}`, 2);
  return v;
}

/** --depth, --bias, --activation, each checked with a line naming the option; defaults are the paper's. */
function modelFlags(values: CommandArgs['values']): ModelFamily {
  const depth = intFlag(values, 'depth', 2, MAX_DEPTH, 2);
  const rawBias = values.bias;
  const bias = rawBias === undefined ? 0 : typeof rawBias === 'string' && rawBias.trim() !== '' ? Number(rawBias) : NaN;
  if (!(Number.isFinite(bias) && bias >= 0)) throw new CliError(`spectrum: --bias must be a finite number >= 0, got ${String(rawBias)}`, 2);
  const activation = values.activation === undefined ? 'relu' : String(values.activation);
  if (!(ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new CliError(`spectrum: --activation must be one of ${ACTIVATIONS.join(', ')}, got ${activation}`, 2);
  }
  return { depth, bias, activation: activation as Activation };
}

interface Row {
  degree: number;
  mu: number;
  multiplicity: number;
  numericalZero: boolean;
  errorBound?: number;
}

export async function spectrumCommand({ values }: CommandArgs): Promise<number> {
  const dim = intFlag(values, 'dim', 2, 1000);
  const model = modelFlags(values);
  // The family's quadrature carries every degree at once and is validated to k = 50.
  const maxDegree = intFlag(values, 'max-degree', 0, isPaperModel(model) ? 200 : 50);
  const lr = values['learning-rate'] === undefined ? null : Number(values['learning-rate']);
  if (lr !== null && !(lr > 0))
    throw new CliError(`spectrum: --learning-rate must be a positive number, got ${String(values['learning-rate'])}`, 2);
  // The paper's network keeps its closed-form path (ntk.ts); every other member uses the family's.
  const rows: Row[] = isPaperModel(model) ? ntkSpectrum(dim, maxDegree) : familySpectrum(dim, maxDegree, model);
  if (values.json) {
    printJson(
      rows.map((r) => ({
        degree: r.degree,
        mu: r.mu,
        multiplicity: r.multiplicity,
        numericalZero: r.numericalZero,
        ...(r.errorBound !== undefined ? { errorBound: r.errorBound } : {}),
      })),
    );
    return 0;
  }
  if (!isPaperModel(model)) print(`model: depth ${model.depth}, bias ${model.bias}, activation ${model.activation}`);
  const zeroNote = isPaperModel(model) ? '(numerical zero: odd k >= 3)' : '(numerical zero: within 100x its error bound)';
  const header = ['k', 'mu_k', 'N(D,k)', ...(lr !== null ? ['theory rate'] : []), ''];
  print(
    formatTable(
      header,
      rows.map((r) => [
        r.degree,
        r.numericalZero ? '0' : formatNumber(r.mu, 7),
        r.multiplicity,
        ...(lr !== null ? [r.numericalZero ? null : formatNumber(theoryRate(r.mu, lr), 4)] : []),
        r.numericalZero ? zeroNote : '',
      ]),
    ),
  );
  return 0;
}
