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
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from . import validate
from .data import BINARIZE_PIXELS, PIXELS, apply_pixels, batches
from .i18n import tr
from .losses import Terms, _check_beta

__all__ = ["History", "TrainingDivergedError", "evaluate", "fit", "kl_weight", "resolve_device", "train_step"]


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
        keys = list(self[0]) if self else []
        if self and key not in keys:
            raise KeyError(f"the history has no column {key!r}; its columns are {', '.join(keys)} "
                           "(train_ and test_ values: 'train_elbo', 'test_elbo' ...)")
        return [row[key] for row in self]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then Apple's MPS, then the CPU; any other name must be a device this machine has."""
    device = validate.device(device)
    if device != "auto":
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _check_model(model: Any) -> nn.Module:
    if not (isinstance(model, nn.Module) and callable(getattr(model, "terms", None))
            and callable(getattr(model, "check_inputs", None))):
        hint = ""
        if isinstance(model, type):
            hint = f": instantiate the class first, e.g. {model.__name__}(latent_dim=2)"
        elif isinstance(model, str):
            hint = f": load it first, vae_lib.zoo.load({model!r:.40})"
        raise TypeError(f"expected a vae_lib model (Autoencoder, VAE or ConditionalVAE from vae_lib.models, or "
                        f"vae_lib.zoo.load(name)); got {validate._kind(model)}{hint}")
    return model


def _check_kl_weight(a: dict[str, Any]) -> None:
    a["step"] = validate.count(a["step"], "step", minimum=0)
    a["beta"] = _check_beta(a["beta"])
    a["warmup_steps"] = validate.count(a["warmup_steps"], "warmup_steps", minimum=0)


@validate.checked(_check_kl_weight)
def kl_weight(step: int, *, beta: float, warmup_steps: int) -> float:
    r"""The KL weight at training step ``step`` (counted from 0): KL annealing, or "warm-up".

    .. math:: \beta_t = \beta\,\min\big(1,\ t / T_{\text{warm-up}}\big)

    The weight rises linearly from 0 to ``beta`` over ``warmup_steps`` steps, then stays at ``beta``;
    ``warmup_steps = 0`` gives ``beta`` from the first step.
    """
    if warmup_steps <= 0:
        return beta
    return beta * min(1.0, step / warmup_steps)


def _check_train_step(a: dict[str, Any]) -> None:
    model = a["model"] = _check_model(a["model"])
    if not isinstance(a["optimizer"], torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer (e.g. torch.optim.Adam(model.parameters())); "
                        f"got {validate._kind(a['optimizer'])}")
    a["x"], a["y"] = model.check_inputs(a["x"], a["y"])
    a["beta"] = _check_beta(a["beta"])
    validate.generator(a["generator"])
    a["iwae_k"] = validate.count(a["iwae_k"], "iwae_k", cap="samples")


@validate.checked(_check_train_step)
def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor | None = None,
               *, beta: float = 1.0, generator: torch.Generator | None = None, iwae_k: int = 1) -> Terms:
    r"""One gradient step on a batch: maximize the batch mean of the beta-ELBO (of the reconstruction
    term for an Autoencoder).

    .. math:: \text{loss} = -\frac1B\sum_{b=1}^{B}\Big[\log p_\theta(x_b\mid z_b) - \beta\,
              \mathrm{KL}\big(q_\phi(z\mid x_b)\,\|\,p(z)\big)\Big],\qquad z_b = \mu_b + \sigma_b\odot\varepsilon_b

    summed over pixels and latent dimensions, averaged over the batch (``iwae_k > 1``: the importance-weighted
    estimate :math:`\mathcal L_k(x)`, whose expectation is the bound, in place of the ELBO). Returns the
    per-example terms ``(objective, log_likelihood, kl)``, detached. Raises :class:`TrainingDivergedError` (and leaves the weights
    untouched) when the loss is NaN or infinite. (``fit`` checks its data once, then runs the body alone,
    ``train_step.unchecked``, batch by batch.)
    """
    out = model._terms(x, y, beta=beta, generator=generator, iwae_k=iwae_k)
    loss = -out.objective.mean()
    if not torch.isfinite(loss):
        raise TrainingDivergedError(f"the loss became {loss.item()}")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return Terms(*(t.detach() for t in out))


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, *, labels: torch.Tensor | None = None,
             batch_size: int = 1000, seed: int = 0) -> dict[str, float]:
    """Mean ELBO, reconstruction term and KL over ``images``, in nats per example.

    The true ELBO (beta = 1), one reparameterized sample per image, from a generator seeded by
    ``seed`` (so the same call gives the same numbers). For an Autoencoder, ``elbo`` and ``kl`` are ``nan``
    (it has no ELBO) and ``rec`` is log p(x | z = encoder(x)).
    """
    model = _check_model(model)
    images, labels = model.check_inputs(images, labels)
    batch_size = validate.count(batch_size, "batch_size")
    seed = validate.seed(seed)
    was_training = model.training
    model.eval()
    device = model.device
    gen = torch.Generator(device=device).manual_seed(seed)
    sums = torch.zeros(3, dtype=torch.float64)
    n = images.shape[0]
    try:
        for start in range(0, n, batch_size):
            x = images[start:start + batch_size].to(device)
            y = None if labels is None else labels[start:start + batch_size]
            out = model._terms(x, y, generator=gen)
            sums += torch.stack([out.objective.sum(), out.log_likelihood.sum(), out.regularizer.sum()]).double().cpu()
    finally:
        model.train(was_training)
    mean = (sums / n).tolist()
    vae = model.is_variational
    return {"elbo": mean[0] if vae else math.nan, "rec": mean[1], "kl": mean[2] if vae else math.nan}


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
    iwae_k: int = 1,
    dequantize: bool = False,
    on_epoch: Callable[[nn.Module, dict[str, Any]], None] | None = None,
    pixels: str | None = None,
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
        iwae_k: maximize the importance-weighted bound with this many samples instead of the ELBO
            (1: the ELBO; > 1 needs ``beta = 1`` and no warm-up, and a VAE).
        dequantize: train on grey levels spread over their bins, a fresh ``(k + u) / 256`` for every batch
            (:func:`vae_lib.data.dequantize`): for continuous (Gaussian) decoders; not with ``binarize``.
        on_epoch: called as ``on_epoch(model, row)`` after every epoch (e.g. to save a snapshot).
        pixels: the pixel mode of every batch, as a recipe names it (:func:`vae_lib.data.apply_pixels`):
            ``"binary"`` (= ``binarize="dynamic"``), ``"dequantized"`` (= ``dequantize=True``) or ``"grey"``
            (the default, = neither); ``binarize`` and ``dequantize`` are accepted aliases.

    Returns:
        a :class:`History`. The model is left in eval mode on ``device``.

    Raises:
        TrainingDivergedError: the loss became NaN or infinite (the message names epoch and step).
    """
    # every check before the first step: nothing fails after an epoch of training
    model = _check_model(model)
    beta = _check_beta(beta)
    epochs = validate.count(epochs, "epochs")
    batch_size = validate.count(batch_size, "batch_size")
    lr = validate.number(lr, "lr", minimum=0.0, strict_min=True)
    validate.choice(schedule, "schedule", ("constant", "cosine"))
    if binarize not in (None, "dynamic"):
        raise ValueError(f"binarize must be None or 'dynamic' (binarize test images with load_mnist); got {binarize!r}")
    kl_warmup_epochs = validate.number(kl_warmup_epochs, "kl_warmup_epochs", minimum=0.0)
    iwae_k = validate.count(iwae_k, "iwae_k", cap="samples")
    seed = validate.seed(seed)
    device = validate.device(device)
    progress = validate.flag(progress, "progress")
    dequantize = validate.flag(dequantize, "dequantize")
    if on_epoch is not None:
        validate.callback(on_epoch, "on_epoch (called as on_epoch(model, row) after every epoch)", 2)
    if dequantize and binarize is not None:
        raise ValueError("dequantize=True makes continuous pixels and binarize makes binary ones: choose one")
    alias = "dequantized" if dequantize else BINARIZE_PIXELS[binarize]
    if pixels is None:
        pixels = alias
    elif validate.choice(pixels, "pixels", PIXELS) != alias and (dequantize or binarize is not None):
        raise ValueError(f"pixels={pixels!r} and binarize={binarize!r}, dequantize={dequantize!r} disagree: give "
                         "pixels alone (binarize and dequantize are its older names)")
    if iwae_k > 1 and (beta != 1.0 or kl_warmup_epochs > 0 or not model.is_variational):
        raise ValueError("iwae_k > 1 trains a VAE on the importance-weighted bound, which has no beta: use it with "
                         "beta=1, kl_warmup_epochs=0 and a VAE")
    images, labels = model.check_inputs(images, labels)
    if test_images is not None:
        test_images, test_labels = model.check_inputs(test_images, test_labels, name="test_images")
    elif test_labels is not None:
        raise ValueError("test_labels were given without test_images")

    dev = resolve_device(device)
    model.to(dev)
    x_all = images.to(dev)
    y_all = labels.to(dev) if labels is not None else None
    gen_order = torch.Generator(device=dev).manual_seed(seed)
    gen_binary = torch.Generator(device=dev).manual_seed(seed + 1)
    gen_eps = torch.Generator(device=dev).manual_seed(seed + 2)

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(x_all.shape[0] / batch_size)
    total_steps = epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, total_steps) if schedule == "cosine" else None

    from tqdm.auto import tqdm

    history = History()
    bar = tqdm(total=total_steps, disable=not progress, unit="batch", desc=tr("training"))
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
                x = apply_pixels.unchecked(x, pixels, gen_binary)  # fresh pixels for every batch; checked once
                b = kl_weight.unchecked(step, beta=beta, warmup_steps=round(kl_warmup_epochs * steps_per_epoch))
                try:
                    obj, rec, kl = train_step.unchecked(model, opt, x, y, beta=b, generator=gen_eps, iwae_k=iwae_k)
                except TrainingDivergedError as exc:
                    raise TrainingDivergedError(
                        f"{exc} at epoch {epoch}, step {i} of {steps_per_epoch}; lower lr (now {lr}), check that "
                        "pixels lie in [0, 1], or clip gradients") from None
                if sched is not None:
                    sched.step()
                step += 1
                with torch.no_grad():
                    sums += torch.stack([obj.sum(), (rec - kl).sum(), rec.sum(), kl.sum()]).double()
                bar.update(1)
            n = x_all.shape[0]
            train = (sums / n).tolist()
            ae = not model.is_variational
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
            if on_epoch is not None:
                on_epoch(model, row)
                model.train()
            shown = row["test_elbo"] if not math.isnan(row["test_elbo"]) else row["train_elbo"]
            bar.set_postfix_str(tr("epoch {epoch}: rec {rec:.1f} nats").format(epoch=epoch, rec=train[2]) if ae else
                                tr("epoch {epoch}: ELBO {elbo:.1f} nats").format(epoch=epoch, elbo=shown))
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"Training interrupted in epoch {len(history) + 1}; the weights trained so far are kept "
              f"({len(history)} complete epochs in the history).")
    finally:
        bar.close()
        model.eval()
    return history
