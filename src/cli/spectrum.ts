/** `specbias spectrum --dim D --max-degree K`: the analytic NTK eigenvalues mu_k and N(D,k). */
import { ntkSpectrum, theoryRate } from '../math/ntk.js';
import { CliError } from './errors.js';
import type { CommandArgs } from './main.js';
import { formatNumber, formatTable, print, printJson } from './io.js';

function intFlag(values: CommandArgs['values'], name: string, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) throw new CliError(`spectrum: --${name} is required`, 2);
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new CliError(`spectrum: --${name} must be an integer in [${min}, ${max}], got ${String(raw)}`, 2);
  return v;
}

export async function spectrumCommand({ values }: CommandArgs): Promise<number> {
  const dim = intFlag(values, 'dim', 2, 1000);
  const maxDegree = intFlag(values, 'max-degree', 0, 200);
  const lr = values['learning-rate'] === undefined ? null : Number(values['learning-rate']);
  if (lr !== null && !(lr > 0)) throw new CliError(`spectrum: --learning-rate must be a positive number, got ${String(values['learning-rate'])}`, 2);
  const rows = ntkSpectrum(dim, maxDegree);
  if (values.json) {
    printJson(rows.map((r) => ({ degree: r.degree, mu: r.mu, multiplicity: r.multiplicity, numericalZero: r.numericalZero })));
    return 0;
  }
  const header = ['k', 'mu_k', 'N(D,k)', ...(lr !== null ? ['theory rate'] : []), ''];
  print(
    formatTable(
      header,
      rows.map((r) => [
        r.degree,
        r.numericalZero ? '0' : formatNumber(r.mu, 7),
        r.multiplicity,
        ...(lr !== null ? [r.numericalZero ? null : formatNumber(theoryRate(r.mu, lr), 4)] : []),
        r.numericalZero ? '(numerical zero: odd k >= 3)' : '',
      ]),
    ),
  );
  return 0;
}
