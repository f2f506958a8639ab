"""Training speed: vae_lib.train.fit against the usual tutorial loop, side by side.

The same model (784-400-20 MLP VAE, ReLU, batch 128, Adam 1e-3, Bernoulli likelihood on
grey [0, 1] pixels) is trained for the same number of epochs two ways:

* ``fit``: the images held in memory as one tensor, batches sliced out of it;
* baseline: ``DataLoader`` over ``torchvision.datasets.MNIST(transform=ToTensor())``, the way
  most tutorials (and pytorch/examples' vae/main.py) write it.

Both are evaluated by the same function on the same grey test images (one seeded sample
of z per image). Prints seconds per epoch, the speed ratio and the test ELBO of each.
Target on the 2-core CPU: fit >= 3x faster per epoch at equal test ELBO (+-1 nat).

It also times the baseline's data pipeline alone (iterating the DataLoader without a model):
the baseline costs that plus the model's arithmetic, and fit cannot go below the arithmetic,
so ``(pipeline + fit) / fit`` bounds the speed-up any in-memory loop can reach over this baseline.

    python benchmarks/train_speed.py [--epochs 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F

from vae_lib.data import data_root, load_mnist
from vae_lib.models import VAE
from vae_lib.train import evaluate, fit


def make_model(seed: int) -> VAE:
    torch.manual_seed(seed)
    return VAE(20, hidden=(400,), activation="relu")


def tutorial_loader(seed: int):
    """The tutorial's data pipeline: a DataLoader that converts each PIL image with ToTensor()."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    ds = datasets.MNIST(str(data_root()), train=True, download=False, transform=transforms.ToTensor())
    return DataLoader(ds, batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(seed))


def pipeline_seconds(seed: int) -> float:
    """One pass over the tutorial's DataLoader with no model: the cost of its data pipeline alone."""
    t0 = time.perf_counter()
    for _ in tutorial_loader(seed):
        pass
    return time.perf_counter() - t0


def baseline(model: VAE, epochs: int, seed: int) -> list[float]:
    """The tutorial loop over :func:`tutorial_loader`."""
    loader = tutorial_loader(seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds = []
    for _ in range(epochs):
        model.train()
        t0 = time.perf_counter()
        for x, _ in loader:
            mu, logvar = model.encode(x)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            logits = model.decode(z)
            bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = (bce + kld) / x.shape[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
    model.eval()
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    x, _ = load_mnist("train", download=False)
    xt, _ = load_mnist("test", download=False)

    m_fit = make_model(args.seed)
    t0 = time.perf_counter()
    hist = fit(m_fit, x, epochs=args.epochs, seed=args.seed, device="cpu", progress=False)
    fit_total = time.perf_counter() - t0
    fit_epoch = [r["seconds"] for r in hist]

    m_base = make_model(args.seed)
    base_epoch = baseline(m_base, args.epochs, args.seed)

    pipe = pipeline_seconds(args.seed)
    e_fit, e_base = evaluate(m_fit, xt)["elbo"], evaluate(m_base, xt)["elbo"]
    med_fit, med_base = statistics.median(fit_epoch), statistics.median(base_epoch)
    print(f"\n{'':28s}{'s / epoch (median)':>20s}{'per-epoch values':>36s}{'test ELBO (nats)':>18s}")
    print(f"{'vae_lib.train.fit':28s}{med_fit:20.2f}{str([round(s, 2) for s in fit_epoch]):>36s}{e_fit:18.2f}")
    print(f"{'DataLoader + ToTensor':28s}{med_base:20.2f}{str([round(s, 2) for s in base_epoch]):>36s}{e_base:18.2f}")
    print(f"\nspeed-up: {med_base / med_fit:.2f}x per epoch (target >= 3x); "
          f"ELBO difference: {e_fit - e_base:+.2f} nats (target within +-1); "
          f"fit wall time incl. per-epoch bookkeeping: {fit_total:.1f} s for {args.epochs} epochs")
    print(f"the baseline's DataLoader alone: {pipe:.2f} s per epoch, so over this baseline no loop whose arithmetic "
          f"costs what fit's does can exceed about {(pipe + med_fit) / med_fit:.2f}x")


if __name__ == "__main__":
    main()
