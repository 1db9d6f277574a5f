"""numpy peer of `specbias bench eigen`: eigenvalues and eigenvectors (numpy.linalg.eigh, LAPACK
syevd) of the NTK Gram matrix K_ij = kappa(<x_i, x_j>) of n points uniform on S^9.
Prints {"method","seconds","n","numpy","blas"} as JSON; only the eigh call is timed.

    python3 bench/numpy_eigh.py --n 2000
"""
import argparse
import json
import time

import numpy as np


def blas_name() -> str:
    try:
        from threadpoolctl import threadpool_info

        info = [f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} x{p.get('num_threads')}" for p in threadpool_info()]
        return "; ".join(info)
    except Exception:  # threadpoolctl is optional
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    n, d = args.n, 10
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    t = np.clip(x @ x.T, -1.0, 1.0)
    k = (3 * t * (np.pi - np.arccos(t)) + 2 * np.sqrt((1 - t) * (1 + t))) / (2 * np.pi)
    np.fill_diagonal(k, 1.5)
    start = time.perf_counter()
    np.linalg.eigh(k)
    seconds = time.perf_counter() - start
    print(json.dumps({"method": "numpy-eigh", "seconds": round(seconds, 4), "n": n, "numpy": np.__version__, "blas": blas_name()}))


if __name__ == "__main__":
    main()
