"""JAX (XLA CPU) peer of `specbias bench train`: one full-batch GD step of the paper's network.

Same network, loss and step as bench/torch_step.py: f(x) = theta sqrt(m) W2 relu(W1 x),
loss 1/(2n) sum (y - f(x))^2, both layers, weight step eta = eta' / (m theta^2) with eta' = 1,
theta = 1; float32; the step is jax.jit-compiled and grad-based, as a JAX user would write it.
Prints {"engine","msPerStep","n","dim","width","steps","threads","jax"} as JSON.

    python3 bench/jax_step.py --n 1000 --dim 10 --width 4096 --steps 50 [--threads 1]
"""
import argparse
import json
import math
import os
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--width", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=0, help="0 = XLA's default (all cores)")
    args = ap.parse_args()
    if args.threads > 0:
        # XLA CPU sizes its thread pools from the CPUs it may run on; pin before it starts.
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.threads]))
    import jax
    import jax.numpy as jnp

    n, d, m = args.n, args.dim, args.width
    k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(0), 4)
    x = jax.random.normal(k1, (n, d), dtype=jnp.float32)
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True)
    zeta = jax.random.normal(k2, (d,), dtype=jnp.float32)
    t = x @ (zeta / jnp.linalg.norm(zeta))
    y = t + (d * t * t - 1) / (d - 1)
    w1 = jax.random.normal(k3, (m, d), dtype=jnp.float32) * math.sqrt(2 / m)
    w2 = jax.random.normal(k4, (m,), dtype=jnp.float32) * math.sqrt(1 / m)
    theta, lr = 1.0, 1.0
    c = theta * math.sqrt(m)
    eta = lr / (m * theta * theta)

    def loss(params):
        a, b = params
        y_hat = c * (jax.nn.relu(x @ a.T) @ b)
        return jnp.sum((y - y_hat) ** 2) / (2 * n)

    @jax.jit
    def step(params):
        g = jax.grad(loss)(params)
        return tuple(p - eta * gp for p, gp in zip(params, g))

    params = (w1, w2)
    for _ in range(3):  # compile and warm up
        params = step(params)
    jax.block_until_ready(params)
    start = time.perf_counter()
    for _ in range(args.steps):
        params = step(params)
    jax.block_until_ready(params)
    ms = (time.perf_counter() - start) * 1000 / args.steps
    print(json.dumps({
        "engine": "jax-xla-cpu", "msPerStep": round(ms, 4), "n": n, "dim": d, "width": m, "steps": args.steps,
        "threads": args.threads or os.cpu_count(), "jax": jax.__version__,
    }))


if __name__ == "__main__":
    sys.exit(main())
