"""PyTorch CPU peer of `specbias bench train`: one full-batch GD step of the paper's network.

f(x) = theta sqrt(m) W2 relu(W1 x), loss 1/(2n) sum (y - f(x))^2, both layers, weight step
eta = eta' / (m theta^2) with eta' = 1, theta = 1; float32, autograd, as a researcher would write
it. Prints {"engine","msPerStep","n","dim","width","steps","threads","torch"} as JSON.

    python3 bench/torch_step.py --n 1000 --dim 10 --width 4096 --steps 50 [--threads 1]
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
    w1 = (torch.randn(m, d, generator=g) * math.sqrt(2 / m)).requires_grad_()
    w2 = (torch.randn(m, generator=g) * math.sqrt(1 / m)).requires_grad_()
    theta, lr = 1.0, 1.0
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

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    ms = (time.perf_counter() - start) * 1000 / args.steps
    print(json.dumps({
        "engine": "pytorch-cpu", "msPerStep": round(ms, 4), "n": n, "dim": d, "width": m, "steps": args.steps,
        "threads": torch.get_num_threads(), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
