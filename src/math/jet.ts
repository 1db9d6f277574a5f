/**
 * Truncated Taylor series ("jets"): f(t0 + e) = sum_{j<=K} f_j e^j, carried through +, *, /, sqrt
 * and the integral of a derivative, so that a kernel written once as a composition of these
 * operations yields all its derivatives up to order K at a point, exactly up to rounding.
 * `ntk-family.ts` uses them for the K-fold integration by parts that makes mu_k accurate.
 *
 *   const x = Jet.variable(0.3, 1, 4);     // x = 0.3 + e
 *   const y = x.mul(x).sqrt();              // |x| to order 4: [0.3, 1, 0, 0, 0]
 *
 * All coefficients are of the same series variable e; a jet of length K + 1 has order K.
 */
export class Jet {
  constructor(readonly c: Float64Array) {}

  static constant(value: number, order: number): Jet {
    const c = new Float64Array(order + 1);
    c[0] = value;
    return new Jet(c);
  }

  /** value + slope e. */
  static variable(value: number, slope: number, order: number): Jet {
    const c = new Float64Array(order + 1);
    c[0] = value;
    if (order >= 1) c[1] = slope;
    return new Jet(c);
  }

  get order(): number {
    return this.c.length - 1;
  }

  get value(): number {
    return this.c[0]!;
  }

  add(o: Jet | number): Jet {
    const out = Float64Array.from(this.c);
    if (typeof o === 'number') out[0]! += o;
    else for (let j = 0; j < out.length; j++) out[j]! += o.c[j]!;
    return new Jet(out);
  }

  sub(o: Jet | number): Jet {
    const out = Float64Array.from(this.c);
    if (typeof o === 'number') out[0]! -= o;
    else for (let j = 0; j < out.length; j++) out[j]! -= o.c[j]!;
    return new Jet(out);
  }

  scale(s: number): Jet {
    return new Jet(this.c.map((v) => v * s));
  }

  /** The same series with its constant term replaced (by a value computed more accurately). */
  withValue(value: number): Jet {
    const out = Float64Array.from(this.c);
    out[0] = value;
    return new Jet(out);
  }

  mul(o: Jet): Jet {
    const a = this.c;
    const b = o.c;
    const out = new Float64Array(a.length);
    for (let n = 0; n < a.length; n++) {
      let s = 0;
      for (let j = 0; j <= n; j++) s += a[j]! * b[n - j]!;
      out[n] = s;
    }
    return new Jet(out);
  }

  div(o: Jet): Jet {
    const a = this.c;
    const b = o.c;
    const q = new Float64Array(a.length);
    for (let n = 0; n < a.length; n++) {
      let s = a[n]!;
      for (let j = 0; j < n; j++) s -= q[j]! * b[n - j]!;
      q[n] = s / b[0]!;
    }
    return new Jet(q);
  }

  /** sqrt of a series with a positive constant term. */
  sqrt(): Jet {
    const a = this.c;
    const s = new Float64Array(a.length);
    s[0] = Math.sqrt(a[0]!);
    for (let n = 1; n < a.length; n++) {
      let r = a[n]!;
      for (let j = 1; j < n; j++) r -= s[j]! * s[n - j]!;
      s[n] = r / (2 * s[0]);
    }
    return new Jet(s);
  }

  /** d/de of the series; the top coefficient, which would need order K + 1, is 0. */
  derivative(): Jet {
    const a = this.c;
    const out = new Float64Array(a.length);
    for (let n = 0; n + 1 < a.length; n++) out[n] = (n + 1) * a[n + 1]!;
    return new Jet(out);
  }

  /** The series F with F(0) = value and F' = this (this's top coefficient is not used). */
  integral(value: number): Jet {
    const a = this.c;
    const out = new Float64Array(a.length);
    out[0] = value;
    for (let n = 1; n < a.length; n++) out[n] = a[n - 1]! / n;
    return new Jet(out);
  }
}
