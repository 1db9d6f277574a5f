"""PyTorch CPU peer of `specbias bench train`: one full-batch GD step of the paper's network.

f(x) = theta sqrt(m) W2 relu(W1 x), loss 1/(2n) sum (y - f(x))^2, both layers, weight step
eta = eta' / (m theta^2) with eta' = 1, theta = 1; float32, autograd, as a researcher would write
it. Prints {"engine","msPerStep","n","dim","width","steps","threads","torch","depth","bias"} as JSON.

With --depth L > 2 (or --bias B > 0): the model family's ReLU network instead (docs/science.md,
"The model family"): raw N(0, 1) weights A_h, b_h, g_1 = A_1 x + B b_1, g_h = sqrt(2/m) A_h relu(g_(h-1))
+ B b_h (m x m hidden layers), f = sqrt(2/m) A_L relu(g_(L-1)) + B b_L; step eta'/theta^2 on the
output layer and eta'/(2 theta^2) on the others, as `specbias bench train --depth L --bias B`.

    python3 bench/torch_step.py --n 1000 --dim 10 --width 4096 --steps 50 [--threads 1] [--depth 3 --bias 0.5]
"""
import argparse
import json
import math
import time

import torch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--width", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=0, help="0 = torch's default (all cores)")
    ap.add_argument("--depth", type=int, default=2, help="weight layers L of the model family (2: the paper's network)")
    ap.add_argument("--bias", type=float, default=0.0, help="bias scale beta of the model family")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    n, d, m = args.n, args.dim, args.width
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, d, generator=g)
    x = x / x.norm(dim=1, keepdim=True)
    zeta = torch.randn(d, generator=g)
    t = x @ (zeta / zeta.norm())
    y = t + (d * t * t - 1) / (d - 1)
    theta, lr = 1.0, 1.0
    if args.depth > 2 or args.bias > 0:
        step = family_step(args.depth, args.bias, x, y, m, theta, lr, g)
    else:
        step = paper_step(x, y, m, theta, lr, g)

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    ms = (time.perf_counter() - start) * 1000 / args.steps
    print(json.dumps({
        "engine": "pytorch-cpu", "msPerStep": round(ms, 4), "n": n, "dim": d, "width": m, "steps": args.steps,
        "threads": torch.get_num_threads(), "torch": torch.__version__, "depth": args.depth, "bias": args.bias,
    }))


def family_step(depth, beta, x, y, m, theta, lr, g):
    n, d = x.shape
    a = [torch.randn(1 if h == depth - 1 else m, d if h == 0 else m, generator=g).requires_grad_() for h in range(depth)]
    b = [torch.randn(1 if h == depth - 1 else m, generator=g).requires_grad_() for h in range(depth)]
    scale = math.sqrt(2 / m)
    steps = [(1.0 if h == depth - 1 else 0.5) * lr / (theta * theta) for h in range(depth)]

    def step() -> None:
        s = x
        for h in range(depth):
            z = s @ a[h].T
            z = (z if h == 0 else scale * z) + beta * b[h]
            s = z if h == depth - 1 else torch.relu(z)
        loss = ((y - theta * s[:, 0]) ** 2).sum() / (2 * n)
        loss.backward()
        with torch.no_grad():
            for h in range(depth):
                for p in (a[h], b[h]):
                    p.sub_(steps[h] * p.grad)
                    p.grad = None

    return step


def paper_step(x, y, m, theta, lr, g):
    n = x.shape[0]
    d = x.shape[1]
    w1 = (torch.randn(m, d, generator=g) * math.sqrt(2 / m)).requires_grad_()
    w2 = (torch.randn(m, generator=g) * math.sqrt(1 / m)).requires_grad_()
    c = theta * math.sqrt(m)
    eta = lr / (m * theta * theta)

    def step() -> None:
        y_hat = c * (torch.relu(x @ w1.T) @ w2)
        loss = ((y - y_hat) ** 2).sum() / (2 * n)
        loss.backward()
        with torch.no_grad():
            w1.sub_(eta * w1.grad)
            w2.sub_(eta * w2.grad)
            w1.grad = None
            w2.grad = None

    return step


if __name__ == "__main__":
    main()
