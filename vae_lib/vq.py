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
(:func:`vae_lib.vq_train.train_recipe`: first the autoencoder and codebook, then the prior on the frozen codes) and
measures it (:func:`vae_lib.vq_train.evaluate_recipe`). Codebook usage: :func:`code_counts`, :func:`perplexity`, :func:`dead_codes`.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import validate
from .losses import bernoulli_log_likelihood

__all__ = ["GRID", "CodePrior", "VQVAE", "code_counts", "dead_codes", "ema_update", "nearest_code", "perplexity", "straight_through", "vq_losses"]

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
