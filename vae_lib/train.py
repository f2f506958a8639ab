"""fit(): train an Autoencoder or a VAE on in-memory images, seeded, with a progress bar.

The loop slices batches out of one tensor (see :func:`vae_lib.data.batches`), so an epoch
costs about what the arithmetic costs. Everything random in training (data order, dynamic
binarization, the eps of the reparameterization) comes from generators seeded by ``seed``:
the same seed and the same initial weights give the same history, number for number.
(Seed the initial weights yourself: ``torch.manual_seed(0); model = VAE(2)``.)
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch
from torch import nn

from .data import batches, binarize_images
from .losses import _check_beta, elbo
from .models import Autoencoder

__all__ = ["History", "TrainingDivergedError", "evaluate", "fit", "resolve_device"]


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite."""


class History(list):
    """One dict per epoch: ``epoch``, ``train_elbo``, ``train_objective``, ``train_rec``, ``train_kl``,
    ``test_elbo``, ``test_rec``, ``test_kl`` (nats per example; test values are ``nan`` without test
    images) and ``seconds``.

    ``*_elbo`` is always the true ELBO, ``rec - KL`` (beta = 1), so that models trained with any
    beta compare on one scale; ``train_objective`` is what the optimizer maximized,
    ``rec - beta * KL`` (with the beta in effect at each step, KL warm-up included). The train
    values are averages over the epoch's batches, taken while the weights were changing. For an
    Autoencoder, ``*_rec`` is its reconstruction log-likelihood and ``*_elbo`` / ``*_kl`` are ``nan``
    (it has no ELBO); its ``train_objective`` equals ``train_rec``.

    ``interrupted`` is True when training was stopped with Ctrl-C / the stop button.
    """

    interrupted: bool = False

    def column(self, key: str) -> list[float]:
        """The values of one field, epoch by epoch."""
        return [row[key] for row in self]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then Apple's MPS, then the CPU."""
    if str(device) != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _terms(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, beta: float,
           generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-example (objective, reconstruction log-likelihood, KL) for either kind of model."""
    if isinstance(model, Autoencoder):
        rec = model.log_likelihood(x, model.encode(x))
        return rec, rec, torch.zeros_like(rec)
    out = elbo(model, x, beta, labels=y, generator=generator)
    return out.elbo, out.log_likelihood, out.kl


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, *, labels: torch.Tensor | None = None,
             beta: float = 1.0, batch_size: int = 1000, seed: int = 0) -> dict[str, float]:
    """Mean ELBO, reconstruction term and KL over ``images``, in nats per example.

    One reparameterized sample per image, from a generator seeded by ``seed`` (so the same
    call gives the same numbers). For an Autoencoder, ``elbo`` and ``kl`` are ``nan``.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    sums = torch.zeros(3, dtype=torch.float64)
    n = images.shape[0]
    for start in range(0, n, batch_size):
        x = images[start:start + batch_size].to(device)
        y = None if labels is None else labels[start:start + batch_size].to(device)
        obj, rec, kl = _terms(model, x, y, 1.0, gen)
        obj = rec - beta * kl
        sums += torch.stack([obj.sum(), rec.sum(), kl.sum()]).double().cpu()
    model.train(was_training)
    ae = isinstance(model, Autoencoder)
    mean = (sums / max(n, 1)).tolist()
    return {"elbo": math.nan if ae else mean[0], "rec": mean[1], "kl": math.nan if ae else mean[2]}


def fit(
    model: nn.Module,
    images: torch.Tensor,
    *,
    epochs: int,
    beta: float = 1.0,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    test_images: torch.Tensor | None = None,
    device: str | torch.device = "auto",
    progress: bool = True,
    labels: torch.Tensor | None = None,
    test_labels: torch.Tensor | None = None,
    binarize: str | None = None,
    schedule: str = "constant",
    kl_warmup_epochs: float = 0.0,
) -> History:
    r"""Train ``model`` by maximizing the beta-ELBO (VAE) or the reconstruction log-likelihood (AE).

    Loss per batch: :math:`-\frac1B\sum_b \big[\log p_\theta(x_b\mid z_b) - \beta\,
    \mathrm{KL}(q_\phi(z\mid x_b)\,\|\,p(z))\big]`, with Adam.

    Args:
        model: an :class:`~vae_lib.models.Autoencoder`, :class:`~vae_lib.models.VAE` or
            :class:`~vae_lib.models.ConditionalVAE` (which also needs ``labels``).
        images: ``[N, 1, 28, 28]`` floats in [0, 1], e.g. from :func:`vae_lib.data.load_mnist`.
        epochs: passes over ``images``.
        beta: weight of the KL term (>= 0; 1 is the ELBO, 0 trains reconstruction only).
        seed: seeds data order, dynamic binarization and eps.
        test_images: evaluated after every epoch (ELBO with beta = 1, one seeded sample).
        device: ``"auto"`` (GPU when there is one), ``"cpu"``, ``"cuda"`` ...
        progress: show a ``tqdm`` bar (a widget in JupyterLab).
        binarize: ``"dynamic"`` draws fresh binary pixels x ~ Bernoulli(grey value) for every batch.
        schedule: ``"constant"`` learning rate, or ``"cosine"`` decay to 0 over the run.
        kl_warmup_epochs: KL annealing: beta ramps linearly from 0 to ``beta`` over this many epochs.

    Returns:
        a :class:`History`. The model is left in eval mode on ``device``.

    Raises:
        TrainingDivergedError: the loss became NaN or infinite (the message names epoch and step).
    """
    beta = _check_beta(beta)
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1; got {epochs!r}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0; got {lr}")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine'; got {schedule!r}")
    if binarize not in (None, "dynamic"):
        raise ValueError(f"binarize must be None or 'dynamic' (binarize test images with load_mnist); got {binarize!r}")
    needs_labels = hasattr(model, "n_classes")
    if needs_labels and labels is None:
        raise ValueError("a ConditionalVAE needs labels=... (and test_labels=... with test_images)")
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        shape = list(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a tensor of shape [N, 1, 28, 28]; got {shape}")

    dev = resolve_device(device)
    model.to(dev)
    x_all = images.to(dev)
    y_all = labels.to(dev) if (needs_labels and labels is not None) else None
    gen_order = torch.Generator(device=dev).manual_seed(seed)
    gen_binary = torch.Generator(device=dev).manual_seed(seed + 1)
    gen_eps = torch.Generator(device=dev).manual_seed(seed + 2)

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(x_all.shape[0] / batch_size)
    total_steps = epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, total_steps) if schedule == "cosine" else None

    from tqdm.auto import tqdm

    history = History()
    bar = tqdm(total=total_steps, disable=not progress, unit="batch", desc="fit")
    step = 0
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            t0 = time.perf_counter()
            sums = torch.zeros(4, dtype=torch.float64, device=dev)  # objective, ELBO, rec, KL
            tensors = (x_all,) if y_all is None else (x_all, y_all)
            for i, batch in enumerate(batches(*tensors, batch_size=batch_size, generator=gen_order), start=1):
                x = batch[0]
                y = batch[1] if y_all is not None else None
                if binarize == "dynamic":
                    x = binarize_images(x, "dynamic", generator=gen_binary)
                b = beta if kl_warmup_epochs <= 0 else beta * min(1.0, step / (kl_warmup_epochs * steps_per_epoch))
                obj, rec, kl = _terms(model, x, y, b, gen_eps)
                loss = -obj.mean()
                if not torch.isfinite(loss):
                    raise TrainingDivergedError(
                        f"the loss became {loss.item()} at epoch {epoch}, step {i} of {steps_per_epoch}; "
                        f"lower lr (now {lr}), check that pixels lie in [0, 1], or clip gradients")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                step += 1
                with torch.no_grad():
                    sums += torch.stack([obj.sum(), (rec - kl).sum(), rec.sum(), kl.sum()]).double()
                bar.update(1)
            n = x_all.shape[0]
            train = (sums / n).tolist()
            ae = isinstance(model, Autoencoder)
            row: dict[str, Any] = {
                "epoch": epoch,
                "train_elbo": math.nan if ae else train[1],
                "train_objective": train[0],
                "train_rec": train[2],
                "train_kl": math.nan if ae else train[3],
            }
            if test_images is not None:
                ev = evaluate(model, test_images, labels=test_labels, seed=seed)
                row.update(test_elbo=ev["elbo"], test_rec=ev["rec"], test_kl=ev["kl"])
            else:
                row.update(test_elbo=math.nan, test_rec=math.nan, test_kl=math.nan)
            row["seconds"] = time.perf_counter() - t0
            history.append(row)
            shown = row["test_elbo"] if not math.isnan(row["test_elbo"]) else row["train_elbo"]
            bar.set_postfix_str(f"epoch {epoch}: " + (f"rec {train[2]:.1f}" if ae else f"ELBO {shown:.1f}")
                                + " nats")
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"Training interrupted in epoch {len(history) + 1}; the weights trained so far are kept "
              f"({len(history)} complete epochs in the history).")
    finally:
        bar.close()
        model.eval()
    return history
