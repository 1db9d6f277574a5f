"""JAX (XLA CPU) peer of `specbias bench train`: one full-batch GD step of the paper's network.

Same network, loss and step as bench/torch_step.py: f(x) = theta sqrt(m) W2 relu(W1 x),
loss 1/(2n) sum (y - f(x))^2, both layers, weight step eta = eta' / (m theta^2) with eta' = 1,
theta = 1; float32; the step is jax.jit-compiled and grad-based, as a JAX user would write it.
Prints {"engine","msPerStep","n","dim","width","steps","threads","jax","depth","bias"} as JSON.
With --depth L > 2 (or --bias B > 0): the model family's ReLU network, as in bench/torch_step.py.

    python3 bench/jax_step.py --n 1000 --dim 10 --width 4096 --steps 50 [--threads 1] [--depth 3 --bias 0.5]
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
    ap.add_argument("--depth", type=int, default=2, help="weight layers L of the model family (2: the paper's network)")
    ap.add_argument("--bias", type=float, default=0.0, help="bias scale beta of the model family")
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

    sizes = (eta, eta)
    params = (w1, w2)
    depth, beta = args.depth, args.bias
    if depth > 2 or beta > 0:
        # The model family: raw N(0, 1) weights, layer scale sqrt(2/m), steps eta'/theta^2 (output) and half that.
        keys = jax.random.split(jax.random.PRNGKey(1), 2 * depth)
        shapes = [(1 if h == depth - 1 else m, d if h == 0 else m) for h in range(depth)]
        params = tuple(jax.random.normal(keys[2 * h], shapes[h], dtype=jnp.float32) for h in range(depth)) + tuple(
            jax.random.normal(keys[2 * h + 1], (shapes[h][0],), dtype=jnp.float32) for h in range(depth)
        )
        layer = [(1.0 if h == depth - 1 else 0.5) * lr / (theta * theta) for h in range(depth)]
        sizes = tuple(layer) + tuple(layer)
        scale = math.sqrt(2 / m)

        def loss(params):
            s = x
            for h in range(depth):
                z = s @ params[h].T
                z = (z if h == 0 else scale * z) + beta * params[depth + h]
                s = z if h == depth - 1 else jax.nn.relu(z)
            return jnp.sum((y - theta * s[:, 0]) ** 2) / (2 * n)

    @jax.jit
    def step(params):
        g = jax.grad(loss)(params)
        return tuple(p - e * gp for p, e, gp in zip(params, sizes, g))

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
        "threads": args.threads or os.cpu_count(), "jax": jax.__version__, "depth": depth, "bias": beta,
    }))


if __name__ == "__main__":
    sys.exit(main())
