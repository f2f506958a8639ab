r"""The VQ-VAE (van den Oord, Vinyals & Kavukcuoglu, 2017): a discrete latent code, and a prior over it.

The encoder maps an image :math:`x` to a grid of :math:`G = 7\times 7 = 49` vectors
:math:`z_e(x)_i \in \mathbb R^{F}`. A codebook holds :math:`M` code vectors :math:`e_1, \dots, e_M`
(:math:`M`: the codebook size; :math:`K` keeps its meaning of the series, latent dimensions, and is not used here).
Each position is replaced by its nearest code,

.. math:: c_i(x) = \arg\min_m \lVert z_e(x)_i - e_m \rVert^2, \qquad z_q(x)_i = e_{c_i(x)},

and the decoder :math:`p_\theta(x\mid z_q)` (Bernoulli) reads the grid of codes. The argmin has no
derivative; the straight-through estimator copies the decoder's gradient at :math:`z_q` onto :math:`z_e`
(:func:`straight_through`). The codebook learns from the codebook loss
:math:`\lVert \operatorname{sg}[z_e] - e\rVert^2` or from an exponential moving average of the vectors assigned to
each code (:func:`ema_update`); the commitment loss :math:`\kappa\lVert z_e - \operatorname{sg}[e]\rVert^2` keeps the
encoder near its codes (:func:`vq_losses`).

A small autoregressive prior :math:`p_\lambda(c) = \prod_{i=1}^{G} p_\lambda(c_i \mid c_{<i})` over the 49 codes in
raster order (a PixelCNN with masked convolutions, :class:`CodePrior`) makes it a generative model with a
likelihood. Since the code is a deterministic function of :math:`x`,

.. math:: -\log p(x) \le -\log p_\theta(x \mid z_q(x)) - \log p_\lambda(c(x)),

(a single term of :math:`p(x) = \sum_c p_\theta(x\mid c)\,p_\lambda(c)`), in nats per example: :meth:`VQVAE.nll_bound`.

:class:`VQVAE` holds the encoder, codebook, decoder and prior in one checkpoint; the zoo trains it in two stages
(:func:`train_recipe`: first the autoencoder and codebook, then the prior on the frozen codes) and measures it
(:func:`evaluate_recipe`). Codebook usage: :func:`code_counts`, :func:`perplexity`, :func:`dead_codes`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import validate
from .losses import bernoulli_log_likelihood

__all__ = ["GRID", "CodePrior", "VQVAE", "code_counts", "dead_codes", "ema_update", "evaluate_recipe",
           "nearest_code", "perplexity", "straight_through", "train_recipe", "vq_losses"]

GRID = 7                 # the code grid is GRID x GRID
POSITIONS = GRID * GRID  # G = 49 code positions


# --------------------------------------------------------------------------------------------- the pieces
def _flat_vectors(z: Any, name: str) -> torch.Tensor:
    z = validate.float_tensor(z, name, ndim=2)
    return z


def nearest_code(z: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    r"""The index of the nearest code of every row: :math:`\arg\min_m \lVert z_n - e_m\rVert^2`.

    ``z``: ``[N, F]`` vectors, ``codebook``: ``[M, F]``. Returns int64 ``[N]`` (ties: the lowest index).
    """
    z = _flat_vectors(z, "nearest_code: z")
    codebook = _flat_vectors(codebook, "nearest_code: codebook")
    if z.shape[1] != codebook.shape[1]:
        raise ValueError(f"nearest_code: z has vectors of dimension {z.shape[1]} but the codes have dimension "
                         f"{codebook.shape[1]}")
    d = (z.pow(2).sum(1, keepdim=True) - 2 * z @ codebook.t() + codebook.pow(2).sum(1)[None])
    return d.argmin(1)


def straight_through(z_e: torch.Tensor, z_q: torch.Tensor) -> torch.Tensor:
    r"""The straight-through estimator: forward value :math:`z_q`, gradient copied onto :math:`z_e`.

    .. math:: z_e + \operatorname{sg}[z_q - z_e]

    equals :math:`z_q` in the forward pass, and its Jacobian with respect to :math:`z_e` is the identity, so
    :math:`\partial\ell/\partial z_e = \partial\ell/\partial z_q` (and no gradient reaches the codebook through it).
    """
    if not (isinstance(z_e, torch.Tensor) and isinstance(z_q, torch.Tensor)) or z_e.shape != z_q.shape:
        raise ValueError("straight_through: z_e and z_q must be tensors of the same shape; got "
                         f"{getattr(z_e, 'shape', type(z_e).__name__)} and {getattr(z_q, 'shape', type(z_q).__name__)}")
    return z_e + (z_q - z_e).detach()


def vq_losses(z_e: torch.Tensor, z_q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The codebook and commitment losses, summed over positions and code dimensions, averaged over the batch.

    .. math:: \text{codebook} = \lVert \operatorname{sg}[z_e] - z_q\rVert^2 \ \text{(moves the codes)}, \qquad
              \text{commitment} = \lVert z_e - \operatorname{sg}[z_q]\rVert^2 \ \text{(moves the encoder)}

    Both have the same value; they differ in where their gradient goes. (The model weights the commitment by
    :math:`\kappa`, ``VQVAE.commitment``.)
    """
    if not (isinstance(z_e, torch.Tensor) and isinstance(z_q, torch.Tensor)) or z_e.shape != z_q.shape \
            or z_e.dim() < 2:
        raise ValueError("vq_losses: z_e and z_q must be batched tensors [B, ...] of the same shape")
    codebook = (z_e.detach() - z_q).pow(2).flatten(1).sum(1).mean()
    commitment = (z_e - z_q.detach()).pow(2).flatten(1).sum(1).mean()
    return codebook, commitment


def ema_update(codebook: torch.Tensor, count: torch.Tensor, total: torch.Tensor, z: torch.Tensor, idx: torch.Tensor,
               decay: float, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""One exponential-moving-average codebook update; returns new ``(codebook, count, total)``.

    With :math:`n_m` the number of vectors of the batch assigned to code :math:`m` and :math:`s_m` their sum,

    .. math:: N_m \leftarrow \rho N_m + (1-\rho)\,n_m, \qquad S_m \leftarrow \rho S_m + (1-\rho)\,s_m,
              \qquad e_m = S_m / \tilde N_m,

    where :math:`\tilde N_m` is :math:`N_m` Laplace-smoothed (``eps``) so that an unused code is not divided by 0.
    :math:`e_m` is a running mean of the encoder vectors that chose code :math:`m`: k-means, online.
    """
    decay = validate.number(decay, "decay", minimum=0.0, maximum=1.0)
    z = _flat_vectors(z, "ema_update: z")
    m = codebook.shape[0]
    onehot = F.one_hot(idx, m).to(z.dtype)                  # [N, M]
    count = decay * count + (1 - decay) * onehot.sum(0)
    total = decay * total + (1 - decay) * onehot.t() @ z
    n = count.sum()
    smoothed = (count + eps) / (n + m * eps) * n
    return total / smoothed[:, None], count, total


def code_counts(codes: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """How often each of the ``codebook_size`` codes occurs in ``codes`` (any shape of int64 indices): ``[M]``."""
    codebook_size = validate.count(codebook_size, "codebook_size")
    if not isinstance(codes, torch.Tensor) or codes.is_floating_point() or codes.dtype == torch.bool:
        raise TypeError("code_counts: codes must be an integer tensor of code indices")
    if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= codebook_size):
        raise ValueError(f"code_counts: code indices must lie in [0, {codebook_size}); got "
                         f"{int(codes.min())} to {int(codes.max())}")
    return torch.bincount(codes.flatten(), minlength=codebook_size)


def perplexity(counts: torch.Tensor) -> float:
    r"""The perplexity of code usage, :math:`\exp(-\sum_m u_m\log u_m)` with :math:`u_m` the fraction of positions
    that use code :math:`m`: the number of equally used codes that would give the same entropy (1 to M)."""
    if not isinstance(counts, torch.Tensor) or counts.dim() != 1:
        raise TypeError("perplexity: counts must be a 1-D tensor of code counts (code_counts)")
    counts = counts.double()
    if counts.sum() <= 0 or bool((counts < 0).any()):
        raise ValueError("perplexity: counts must be non-negative and not all zero")
    u = counts / counts.sum()
    return float(torch.exp(-(u * torch.log(u.clamp_min(1e-300))).sum()))


def dead_codes(counts: torch.Tensor) -> int:
    """The number of codes used nowhere in ``counts`` (a dead code gets no gradient from the codebook loss)."""
    return int((counts == 0).sum())


# --------------------------------------------------------------------------------------------- the prior
class _MaskedConv(nn.Conv2d):
    """A 2-D convolution that sees only positions before the centre in raster order (type "A": not the centre
    itself; type "B": the centre too)."""

    def __init__(self, kind: str, c_in: int, c_out: int, k: int) -> None:
        super().__init__(c_in, c_out, k, padding=k // 2)
        mask = torch.ones(k, k)
        mask[k // 2, k // 2 + (kind == "B"):] = 0
        mask[k // 2 + 1:] = 0
        self.register_buffer("mask", mask[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class CodePrior(nn.Module):
    r"""An autoregressive prior over a 7 x 7 grid of code indices, in raster order (a small PixelCNN):

    .. math:: \log p_\lambda(c) = \sum_{i=1}^{G} \log p_\lambda(c_i \mid c_{<i}).

    Embedding of each code (``channels``), one masked 5 x 5 convolution of type A (position i sees only
    positions < i), ``layers`` residual masked 3 x 3 convolutions of type B, and 1 x 1 convolutions to the
    ``codebook_size`` logits of every position.
    """

    def __init__(self, codebook_size: int, channels: int = 64, layers: int = 4) -> None:
        super().__init__()
        self.codebook_size = validate.count(codebook_size, "codebook_size", minimum=2, maximum=4096)
        self.channels = validate.count(channels, "prior_channels", cap="layer")
        self.layers = validate.count(layers, "prior_layers", minimum=0, maximum=32)
        self.embed = nn.Embedding(self.codebook_size, self.channels)
        self.first = _MaskedConv("A", self.channels, self.channels, 5)
        self.blocks = nn.ModuleList(_MaskedConv("B", self.channels, self.channels, 3) for _ in range(self.layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(self.channels, self.channels, 1), nn.ReLU(),
                                  nn.Conv2d(self.channels, self.codebook_size, 1))

    def _check(self, codes: Any) -> torch.Tensor:
        if not isinstance(codes, torch.Tensor) or codes.is_floating_point() or codes.dtype == torch.bool \
                or codes.dim() != 3 or tuple(codes.shape[1:]) != (GRID, GRID):
            raise ValueError(f"codes must be an integer tensor [B, {GRID}, {GRID}] of code indices; got "
                             f"{getattr(codes, 'dtype', type(codes).__name__)} {list(getattr(codes, 'shape', []))}")
        if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= self.codebook_size):
            raise ValueError(f"codes must lie in [0, {self.codebook_size}); got {int(codes.min())} to "
                             f"{int(codes.max())}")
        return codes.long()

    def logits(self, codes: torch.Tensor) -> torch.Tensor:
        """``[B, M, 7, 7]``: at every position i, the logits of p(c_i | c_<i) (they do not depend on c_i, ..., c_P)."""
        codes = self._check(codes)
        h = self.first(self.embed(codes).permute(0, 3, 1, 2))
        for block in self.blocks:
            h = h + block(F.relu(h))
        return self.head(h)

    def log_prob(self, codes: torch.Tensor) -> torch.Tensor:
        r""":math:`\log p_\lambda(c)` of each grid, in nats: ``[B]``."""
        codes = self._check(codes)
        logp = F.log_softmax(self.logits(codes), 1)
        return logp.gather(1, codes[:, None]).flatten(1).sum(1)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` grids of codes drawn position by position in raster order (49 passes): int64 ``[n, 7, 7]``."""
        n = validate.count(n, "n", cap="samples")
        generator = validate.generator(generator)
        dev = self.embed.weight.device
        codes = torch.zeros(n, GRID, GRID, dtype=torch.long, device=dev)
        for i in range(POSITIONS):
            r, c = divmod(i, GRID)
            p = F.softmax(self.logits(codes)[:, :, r, c].double(), 1)
            codes[:, r, c] = torch.multinomial(p.cpu(), 1, generator=generator)[:, 0].to(dev)
        return codes


# --------------------------------------------------------------------------------------------- the model
class VQVAE(nn.Module):
    r"""A VQ-VAE on 28 x 28 images with a 7 x 7 grid of codes, a Bernoulli decoder, and a learned prior over codes.

    Args:
        codebook_size: :math:`M`, the number of codes.
        code_dim: :math:`F`, the dimension of a code vector (and of the encoder's output at each position).
        hidden: channels of the two stride-2 convolutions of the encoder (the decoder mirrors them).
        commitment: :math:`\kappa`, the weight of the commitment loss.
        ema_decay: ``None``: the codebook learns from the codebook loss (by Adam); a number :math:`\rho`
            in (0, 1): the codebook is an exponential moving average (:func:`ema_update`), no codebook loss.
        prior_channels, prior_layers: the size of the :class:`CodePrior`.
    """

    def __init__(self, codebook_size: int = 64, code_dim: int = 16, hidden: Any = (32, 64), commitment: float = 0.25,
                 ema_decay: float | None = None, prior_channels: int = 64, prior_layers: int = 4) -> None:
        super().__init__()
        self.codebook_size = validate.count(codebook_size, "codebook_size", minimum=2, maximum=4096)
        self.code_dim = validate.count(code_dim, "code_dim", cap="latent_dim")
        h = validate.layer_sizes(hidden, "hidden")
        if len(h) != 2:
            raise ValueError(f"hidden must hold two channel counts (the two stride-2 convolutions); got {list(h)}")
        self.hidden = h
        self.commitment = validate.number(commitment, "commitment", minimum=0.0)
        self.ema_decay = None if ema_decay is None else validate.number(ema_decay, "ema_decay", minimum=0.0,
                                                                         maximum=1.0, strict_min=True)
        if self.ema_decay is not None and self.ema_decay >= 1.0:
            raise ValueError("ema_decay must be below 1 (1 would never move the codes)")
        self.encoder = nn.Sequential(
            nn.Conv2d(1, h[0], 4, 2, 1), nn.ReLU(), nn.Conv2d(h[0], h[1], 4, 2, 1), nn.ReLU(),
            nn.Conv2d(h[1], self.code_dim, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(self.code_dim, h[1], 3, 1, 1), nn.ReLU(), nn.ConvTranspose2d(h[1], h[0], 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(h[0], 1, 4, 2, 1))
        m = self.codebook_size
        self.codebook = nn.Parameter(torch.empty(m, self.code_dim).uniform_(-1 / m, 1 / m),
                                     requires_grad=self.ema_decay is None)
        if self.ema_decay is not None:
            # start as if every code had been chosen once, at its initial value: an unchosen code then stays put
            # (its count and sum shrink together) instead of being divided by the smoothing's tiny count
            self.register_buffer("ema_count", torch.ones(m))
            self.register_buffer("ema_total", self.codebook.detach().clone())
        self.prior = CodePrior(m, prior_channels, prior_layers)

    @property
    def config(self) -> dict[str, Any]:
        """Constructor arguments: ``VQVAE(**model.config)`` builds the same architecture."""
        return {"codebook_size": self.codebook_size, "code_dim": self.code_dim, "hidden": list(self.hidden),
                "commitment": self.commitment, "ema_decay": self.ema_decay,
                "prior_channels": self.prior.channels, "prior_layers": self.prior.layers}

    def _images(self, x: Any) -> torch.Tensor:
        return validate.images(x, dtype=self.codebook.dtype)

    # ------------------------------------------------------------------ the autoencoder
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`z_e(x)`: ``[B, F, 7, 7]``."""
        return self.encoder(self._images(x))

    def quantize(self, z_e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z_q [B, F, 7, 7], codes [B, 7, 7])``: every position replaced by its nearest code."""
        b, c, hh, ww = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, c)
        idx = nearest_code(flat, self.codebook.detach())
        z_q = self.codebook[idx].view(b, hh, ww, c).permute(0, 3, 1, 2)
        return z_q, idx.view(b, hh, ww)

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`c(x)`, the code indices of images: int64 ``[B, 7, 7]``."""
        return self.quantize(self.encode(x))[1]

    def embed(self, codes: torch.Tensor) -> torch.Tensor:
        """The grid of code vectors :math:`z_q` of code indices ``[B, 7, 7]``: ``[B, F, 7, 7]``."""
        codes = self.prior._check(codes)
        return self.codebook[codes].permute(0, 3, 1, 2)

    def decode_logits(self, z_q: torch.Tensor) -> torch.Tensor:
        """The decoder's Bernoulli logits ``[B, 1, 28, 28]`` of a grid of code vectors."""
        return self.decoder(z_q)

    def decode_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """Pixel probabilities ``[B, 1, 28, 28]`` decoded from code indices ``[B, 7, 7]``."""
        return torch.sigmoid(self.decode_logits(self.embed(codes)))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """One training pass: ``{"logits", "z_e", "z_q", "codes"}`` (the decoder reads the straight-through z_q)."""
        z_e = self.encode(x)
        z_q, codes = self.quantize(z_e)
        return {"logits": self.decode_logits(straight_through(z_e, z_q)), "z_e": z_e, "z_q": z_q, "codes": codes}

    def loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""The training objective (to minimise) and its terms, in nats (rec) per example, averaged over the batch:
        ``loss = -log p(x | z_q) + codebook + commitment * commitment_loss`` (no codebook term with EMA)."""
        x = self._images(x)
        out = self(x)
        rec = -bernoulli_log_likelihood(x, out["logits"]).mean()
        cb, cm = vq_losses(out["z_e"], out["z_q"])
        total = rec + self.commitment * cm + (cb if self.ema_decay is None else 0.0)
        return {"loss": total, "rec": rec, "codebook": cb, "commitment": cm, "z_e": out["z_e"], "codes": out["codes"]}

    @torch.no_grad()
    def ema_step(self, z_e: torch.Tensor, codes: torch.Tensor) -> None:
        """Move the codebook by one :func:`ema_update` with a batch's encoder vectors and their codes."""
        if self.ema_decay is None:
            raise RuntimeError("ema_step: this model's codebook learns from the codebook loss (ema_decay=None)")
        flat = z_e.detach().permute(0, 2, 3, 1).reshape(-1, self.code_dim)
        new, self.ema_count, self.ema_total = ema_update(self.codebook, self.ema_count, self.ema_total, flat,
                                                         codes.flatten(), self.ema_decay)
        self.codebook.copy_(new)

    # ------------------------------------------------------------------ likelihoods
    @torch.no_grad()
    def rec_nll(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`-\log p_\theta(x\mid z_q(x))` per image, in nats: ``[B]``."""
        x = self._images(x)
        z_q, _ = self.quantize(self.encode(x))
        return -bernoulli_log_likelihood(x, self.decode_logits(z_q))

    @torch.no_grad()
    def nll_bound(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""Per image, in nats: ``rec`` :math:`=-\log p_\theta(x\mid z_q(x))`, ``prior``
        :math:`=-\log p_\lambda(c(x))`, ``bound`` = rec + prior :math:`\ge -\log p(x)`, and ``uniform``
        = rec + G log M (the bound with a uniform prior over codes: the ELBO's view)."""
        x = self._images(x)
        z_q, codes = self.quantize(self.encode(x))
        rec = -bernoulli_log_likelihood(x, self.decode_logits(z_q))
        prior = -self.prior.log_prob(codes)
        return {"rec": rec, "prior": prior, "bound": rec + prior,
                "uniform": rec + POSITIONS * math.log(self.codebook_size)}

    @torch.no_grad()
    def sample(self, n: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` generated images: codes from the prior, then the decoder's pixel means. Returns
        ``(probabilities [n, 1, 28, 28], codes [n, 7, 7])``."""
        g = torch.Generator().manual_seed(validate.seed(seed))
        codes = self.prior.sample(n, generator=g)
        return self.decode_codes(codes), codes


# --------------------------------------------------------------------------------------------- the zoo's plug-in
def _restart_dead(model: VQVAE, counts: torch.Tensor, z_e: torch.Tensor, g: torch.Generator) -> int:
    """Move every code unused since the last restart onto a random encoder vector of this batch; returns how many."""
    dead = (counts == 0).nonzero().flatten()
    if dead.numel() == 0:
        return 0
    flat = z_e.detach().permute(0, 2, 3, 1).reshape(-1, model.code_dim)
    pick = torch.randint(flat.shape[0], (dead.numel(),), generator=g)
    with torch.no_grad():
        model.codebook[dead] = flat[pick]
        if model.ema_decay is not None:
            model.ema_total[dead] = flat[pick]
            model.ema_count[dead] = 1.0
    return int(dead.numel())


def train_recipe(recipe: Any, x: torch.Tensor, y: torch.Tensor, *, epochs: int, device: Any = "cpu",
                 progress: bool = False, on_epoch: Callable[[nn.Module, dict[str, Any]], None] | None = None
                 ) -> tuple[VQVAE, dict[str, list[float]]]:
    """Train a :class:`VQVAE` recipe in two stages: ``epochs`` epochs of the autoencoder and codebook (Adam(lr),
    cosine decay, dynamic binarization per batch seeded by ``recipe.seed``), then ``recipe.extra["prior_epochs"]``
    epochs of the prior on the codes of freshly binarized training images (the autoencoder frozen).

    ``recipe.extra``: ``prior_epochs`` (default 6), ``restart_every`` (steps between dead-code restarts; 0 or
    absent: none), ``prior_lr`` (default ``recipe.lr``). Returns ``(model, history columns)``.
    """
    from .data import binarize_images

    epochs = validate.count(epochs, "epochs")
    x = validate.images(x, name="training images")
    extra = dict(recipe.extra)
    prior_epochs = validate.count(extra.get("prior_epochs", 6), "prior_epochs", minimum=0)
    restart_every = validate.count(extra.get("restart_every", 0), "restart_every", minimum=0)
    torch.manual_seed(recipe.seed)
    model = VQVAE(**recipe.config).to(device)
    g = torch.Generator().manual_seed(recipe.seed)
    n, bs = x.shape[0], recipe.batch_size
    steps = epochs * math.ceil(n / bs)
    params = [p for n_, p in model.named_parameters() if not n_.startswith("prior.") and p.requires_grad]
    opt = torch.optim.Adam(params, lr=recipe.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if recipe.schedule == "cosine" else None
    hist: dict[str, list[float]] = {k: [] for k in ("train_rec", "train_commitment", "train_perplexity",
                                                    "train_dead_codes", "restarts", "prior_nll", "seconds",
                                                    "cpu_seconds")}
    t0, c0 = time.perf_counter(), time.process_time()
    step = 0
    since = torch.zeros(model.codebook_size, dtype=torch.long)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=g)
        rec_sum = cm_sum = 0.0
        counts = torch.zeros(model.codebook_size, dtype=torch.long)
        restarts = 0
        for i in range(0, n, bs):
            xb = binarize_images(x[order[i:i + bs]], generator=g).to(device)
            out = model.loss(xb)
            opt.zero_grad(set_to_none=True)
            out["loss"].backward()
            opt.step()
            if sched is not None:
                sched.step()
            if model.ema_decay is not None:
                model.ema_step(out["z_e"], out["codes"])
            c = code_counts(out["codes"].cpu(), model.codebook_size)
            counts += c
            since += c
            step += 1
            if restart_every and step % restart_every == 0 and step < steps:
                restarts += _restart_dead(model, since, out["z_e"], g)
                since.zero_()
            rec_sum += float(out["rec"].detach()) * xb.shape[0]
            cm_sum += float(out["commitment"].detach()) * xb.shape[0]
        row = {"train_rec": rec_sum / n, "train_commitment": cm_sum / n, "train_perplexity": perplexity(counts),
               "train_dead_codes": float(dead_codes(counts)), "restarts": float(restarts), "prior_nll": float("nan"),
               "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}
        for k, v in row.items():
            hist[k].append(round(v, 4))
        if progress:
            print(f"VQ epoch {epoch + 1}/{epochs}: rec {row['train_rec']:.2f} nats, perplexity "
                  f"{row['train_perplexity']:.1f}, dead {int(row['train_dead_codes'])}", flush=True)
        if on_epoch is not None:
            on_epoch(model, row)
    # stage 2: the prior over the frozen codes
    model.eval()
    popt = torch.optim.Adam(model.prior.parameters(), lr=float(extra.get("prior_lr", recipe.lr)))
    psteps = max(1, prior_epochs * math.ceil(n / bs))
    psched = torch.optim.lr_scheduler.CosineAnnealingLR(popt, psteps)
    for epoch in range(prior_epochs):
        model.prior.train()
        order = torch.randperm(n, generator=g)
        nll_sum = 0.0
        for i in range(0, n, bs):
            xb = binarize_images(x[order[i:i + bs]], generator=g).to(device)
            with torch.no_grad():
                codes = model.codes(xb)
            nll = -model.prior.log_prob(codes).mean()
            popt.zero_grad(set_to_none=True)
            nll.backward()
            popt.step()
            psched.step()
            nll_sum += float(nll.detach()) * xb.shape[0]
        for k in hist:
            hist[k].append(float("nan"))
        hist["prior_nll"][-1] = round(nll_sum / n, 4)
        hist["seconds"][-1] = round(time.perf_counter() - t0, 4)
        hist["cpu_seconds"][-1] = round(time.process_time() - c0, 4)
        if progress:
            print(f"prior epoch {epoch + 1}/{prior_epochs}: -log p(c) {nll_sum / n:.2f} nats", flush=True)
    model.prior.eval()
    hist = {k: [None if isinstance(v, float) and math.isnan(v) else v for v in col] for k, col in hist.items()}
    return model.cpu().eval(), hist


def measure(model: VQVAE, x: torch.Tensor, batch: int = 500) -> dict[str, Any]:
    """Nats per example on images ``x`` (binary): ``rec``, ``prior``, ``bound`` (rec + prior, an upper bound on
    -log p(x)), ``uniform`` (rec + G log M), and the codebook usage of their codes (perplexity, dead codes)."""
    x = validate.images(x)
    sums = {"rec": 0.0, "prior": 0.0, "bound": 0.0, "uniform": 0.0}
    counts = torch.zeros(model.codebook_size, dtype=torch.long)
    model.eval()
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            xb = x[i:i + batch]
            terms = model.nll_bound(xb)
            for k in sums:
                sums[k] += float(terms[k].double().sum())
            counts += code_counts(model.codes(xb), model.codebook_size)
    n = x.shape[0]
    out: dict[str, Any] = {k: round(v / n, 4) for k, v in sums.items()}
    out |= {"perplexity": round(perplexity(counts), 3), "dead_codes": dead_codes(counts), "n": int(n)}
    return out


def evaluate_recipe(model: VQVAE, recipe: Any, x: torch.Tensor, y: torch.Tensor) -> dict[str, Any]:
    """The manifest's figures (nats per example) on the recipe's fixed test set ``x`` (binarized once, seed 0):
    ``{"test": measure(x), "subset1000": measure(x[:1000]), "codebook_size", "positions", "uniform_kl"}``."""
    t0 = time.perf_counter()
    out = {"test": measure(model, x), "subset1000": measure(model, x[:1000]),
           "codebook_size": model.codebook_size, "positions": POSITIONS,
           "uniform_kl": round(POSITIONS * math.log(model.codebook_size), 4)}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out
