/**
 * Numbers for people: four significant digits, exponent form for very small or
 * large magnitudes, and a dash where there is no value.
 *
 * ```ts
 * formatValue(0.000225831); // '2.258e-4'
 * formatValue(0.99989, 3);   // '1.00'
 * formatValue(0.3748066);   // '0.3748'
 * formatValue(null);        // '–'
 * formatCount(1024);        // '1024'
 * ```
 */

/** One value as text; NaN reads 'NaN' (a refused fit), null and undefined read '–'. */
export function formatValue(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  // Significant digits are kept, trailing zeros included: an r² of 0.99989 reads 1.00, not 1.
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(digits - 1).replace('e+', 'e');
  return v.toPrecision(digits).replace('e+', 'e');
}

/** A count or an integer knob (width, n, seed, rows) as it is; null and undefined read '–'. */
export function formatCount(v: unknown): string {
  if (v === null || v === undefined) return '–';
  return String(v);
}
