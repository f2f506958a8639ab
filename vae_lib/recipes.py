"""How every pretrained model is trained: one :class:`Recipe` per model, in one table.

This table is the single source of a zoo model's settings: :func:`vae_lib.zoo.build` trains from it,
writes it (as :meth:`Recipe.as_dict`) into the checkpoint's metadata and into the manifest entry, and
the notebooks read it from :data:`RECIPES` when they train a model from scratch. The beta grids are
the recipes whose ``group`` is ``"beta-2d"`` or ``"beta-10d"``; their betas are :data:`BETAS`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .i18n import N_, Text

__all__ = ["BETAS", "RECIPES", "Recipe"]

#: the beta grid of the ``vae-2d-beta-*`` and ``vae-10d-beta-*`` models (0 = reconstruction only)
BETAS: tuple[float, ...] = (0.0, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


@dataclass(frozen=True)
class Recipe:
    """How one zoo model is trained: everything :func:`vae_lib.zoo.build` needs, nothing else.

    ``model_class`` is a key of :data:`vae_lib.checkpoints.CLASSES`; ``config`` its constructor
    arguments (initial weights: ``torch.manual_seed(seed)`` before the constructor). ``trainer``:
    ``"fit"`` (:func:`vae_lib.train.fit`: Adam(``lr``), ``batch_size``, ``epochs``, learning-rate
    ``schedule``, objective ``E_q[log p(x|z)] - beta * KL`` with KL warm-up over ``kl_warmup_epochs``)
    or ``"classifier"`` (:func:`vae_lib.classifier.train_classifier`). ``pixels``: ``"binary"`` (dynamic
    binarization in training, the test set binarized once), ``"dequantized"`` (grey levels spread over their
    bins, fresh in training, once for the test set) or ``"grey"`` (grey values). ``iwae_k``:
    estimate -log p(x) with this many importance samples (None: skip). ``group``: the set a model
    belongs to (``"beta-2d"``, ``"beta-10d"``: the beta grids).
    """

    name: str
    model_class: str
    config: dict[str, Any]
    purpose: str
    dataset: str = "mnist"
    trainer: str = "fit"
    pixels: str = "binary"
    beta: float = 1.0
    epochs: int = 12
    batch_size: int = 128
    lr: float = 1e-3
    schedule: str = "cosine"
    kl_warmup_epochs: float = 0.0
    seed: int = 0
    iwae_k: int | None = None
    group: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def conditional(self) -> bool:
        """True for a model that needs the labels (ConditionalVAE)."""
        return self.model_class == "ConditionalVAE"

    def as_dict(self, **overrides: Any) -> dict[str, Any]:
        """The recipe as plain data (for the manifest and the checkpoint), with build-time overrides."""
        return asdict(replace(self, **overrides))


_SMALL = [256, 128]   # 2-D / 10-D explorers: ~0.47 M parameters, ~0.9 MB in float16
_WIDE = [512, 256]    # vae-2d and the models compared with it: ~1.07 M parameters at K = 2
_LIKELIHOODS = [
    ("bernoulli", {}, "binary cross-entropy on grey pixels: not a likelihood of grey images"),
    ("gauss-s1", {"likelihood": "gaussian", "decoder_std": 1.0}, "Gaussian decoder, fixed s = 1: squared error, beta = 1"),
    ("gauss-s0.1", {"likelihood": "gaussian", "decoder_std": 0.1}, "Gaussian decoder, fixed s = 0.1"),
    ("gauss-learned", {"likelihood": "gaussian", "decoder_std": "learned"}, "Gaussian decoder, one learned s"),
    ("gauss-pixel", {"likelihood": "gaussian", "decoder_std": "learned-pixel"}, "Gaussian decoder, a learned s per pixel"),
]
_VQ = {"codebook_size": 64, "code_dim": 16, "hidden": [32, 64], "commitment": 0.25, "ema_decay": None,
       "prior_channels": 48, "prior_layers": 4}  # notebook 12
_BETA0 = "beta = 0: reconstruction only, with a stochastic encoder"


def _table() -> list[Recipe]:
    return [
        Recipe("ae-2d", "Autoencoder", {"latent_dim": 2, "hidden": _WIDE},
               "AE vs VAE, holes in the latent space (vae-2d's recipe, without the KL)", epochs=25,
               notes="an Autoencoder has no ELBO: rec is log p(x | z = encoder(x)); elbo and kl are null"),
        Recipe("vae-2d", "VAE", {"latent_dim": 2, "hidden": _WIDE},
               "latent sliders, manifold, interpolation", epochs=25, iwae_k=1000),
        *(Recipe(f"vae-2d-beta-{b:g}", "VAE", {"latent_dim": 2, "hidden": _SMALL},
                 "the beta slider: latent scatter, samples, reconstructions", beta=b, epochs=8, group="beta-2d",
                 notes=_BETA0 if b == 0 else "")
          for b in BETAS),
        *(Recipe(f"vae-10d-beta-{b:g}", "VAE", {"latent_dim": 10, "hidden": _SMALL},
                 "rate-distortion curve, active units, posterior collapse", beta=b, epochs=8, group="beta-10d",
                 notes=_BETA0 if b == 0 else "")
          for b in BETAS),
        # notebook 08: is beta = 0.5 ahead of beta = 1 only because 8 epochs are short? (and what warm-up does)
        Recipe("vae-10d-beta-1-e24", "VAE", {"latent_dim": 10, "hidden": _SMALL},
               "beta = 1 trained three times longer (24 epochs): does it catch up with beta = 0.5?", beta=1.0,
               epochs=24, group="beta-10d-longer"),
        Recipe("vae-10d-beta-0.5-e24", "VAE", {"latent_dim": 10, "hidden": _SMALL},
               "beta = 0.5 trained three times longer (24 epochs)", beta=0.5, epochs=24, group="beta-10d-longer"),
        Recipe("vae-10d-beta-1-warmup", "VAE", {"latent_dim": 10, "hidden": _SMALL},
               "beta = 1, 8 epochs, with KL warm-up (beta ramps from 0 to 1 over the first 4 epochs)", beta=1.0,
               epochs=8, kl_warmup_epochs=4, group="beta-10d-longer"),
        Recipe("cvae-2d", "ConditionalVAE", {"latent_dim": 2, "hidden": _WIDE, "n_classes": 10},
               "conditional generation (label -> encoder and decoder); vae-2d's recipe plus the label", epochs=25),
        Recipe("fashion-vae-2d", "VAE", {"latent_dim": 2, "hidden": _SMALL},
               "a second dataset in the explorers", dataset="fashion", epochs=8),
        Recipe("digit-classifier", "DigitClassifier", {"hidden": 256, "n_classes": 10},
               "judges decoded images: completeness, read-back of a requested digit", trainer="classifier",
               pixels="grey", epochs=3, schedule="constant", extra={"mixup": 0.5, "noise": 0.05},
               notes="784-256-10 MLP on grey MNIST; a fraction of every batch is mixup blends (soft targets) and "
                     "uniform noise (uniform target), so that it hesitates on blends and smudges"),
        # notebook 10: real-valued pixels (Fashion-MNIST, dequantized); one architecture, five likelihoods
        *(Recipe(f"fashion-{tag}-16d", "VAE", {"latent_dim": 16, "hidden": [512, 256], **lik},
                 purpose, dataset="fashion", pixels="dequantized", epochs=30, iwae_k=1000, group="fashion-likelihoods")
          for tag, lik, purpose in _LIKELIHOODS),
        # notebook 11: closing the prior's holes, on the budget of vae-2d (512-256, 25 epochs)
        Recipe("vamp-2d", "VAE", {"latent_dim": 2, "hidden": _WIDE, "prior": "vamp", "prior_components": 500},
               "a learned prior: the VampPrior (mixture of the encoder's posteriors at 500 pseudo-images)", epochs=25,
               iwae_k=1000, group="holes-2d"),
        Recipe("mog-2d", "VAE", {"latent_dim": 2, "hidden": _WIDE, "prior": "mog", "prior_components": 100},
               "a learned prior: a mixture of 100 Gaussians in latent space", epochs=25, iwae_k=1000, group="holes-2d"),
        Recipe("aae-2d", "AdversarialAutoencoder", {"latent_dim": 2, "hidden": _WIDE, "disc_hidden": [256, 256]},
               "the adversarial autoencoder: a discriminator matches the aggregate posterior to N(0, I)", epochs=25,
               group="holes-2d"),
        Recipe("iwae-2d", "VAE", {"latent_dim": 2, "hidden": _WIDE},
               "trained on the importance-weighted bound L_5 instead of the ELBO", epochs=25, iwae_k=1000,
               group="holes-2d", extra={"iwae_k_train": 5}),
        # notebook 13: deep hierarchies (a two-layer hierarchical VAE on vae-20d-e30's trunk and budget)
        Recipe("hvae-20d-e30", "HierarchicalVAE", {"latent_dim": 20, "hidden": _WIDE, "top_dim": 10, "top_hidden": [64]},
               "a two-layer hierarchical VAE (top-down inference) on vae-20d-e30's trunk, data, seed and 30 epochs",
               trainer="hvae", epochs=30, iwae_k=1000,
               notes="784-512-256 bottom up -> z1 (20) -> 64 -> z2 (10); p(z1|z2): 10-64-40; decoder 20-256-512-784"),
        # notebook 13: one remedy for the top layer's collapse (free bits), as a pair of small, short runs
        Recipe("hvae-small-e10", "HierarchicalVAE", {"latent_dim": 20, "hidden": [32], "top_dim": 10, "top_hidden": [32]},
               "a small two-layer hierarchical VAE (784-32 trunk), 10 epochs: the top layer without a remedy",
               trainer="hvae", epochs=10, iwae_k=1000),
        Recipe("hvae-small-e10-freebits", "HierarchicalVAE",
               {"latent_dim": 20, "hidden": [32], "top_dim": 10, "top_hidden": [32]},
               "hvae-small-e10 with free bits on the top layer (lambda = 0.25 nats per dimension)",
               trainer="hvae", epochs=10, iwae_k=1000, extra={"free_bits_top": 0.25}),
        # notebook 12: discrete latents, the VQ-VAE (a 7 x 7 grid of codes from M = 64, a PixelCNN prior over them)
        Recipe("vqvae-64", "VQVAE", _VQ, "the VQ-VAE: codebook, straight-through estimator, a prior over the codes; "
               "dead codes restarted every 100 steps", trainer="vqvae", epochs=7, group="vq",
               extra={"restart_every": 100, "prior_epochs": 4},
               notes="conv 1->32->64 (4x4, stride 2) -> 16 channels on 7 x 7, codebook loss (no EMA), commitment "
                     "0.25; then 4 epochs of a masked-convolution prior (48 channels) on the frozen codes"),
        Recipe("vqvae-64-no-restarts", "VQVAE", _VQ, "codebook collapse: vqvae-64 without the dead-code restarts",
               trainer="vqvae", epochs=7, group="vq", extra={"restart_every": 0, "prior_epochs": 4}),
        # notebook 13: diffusion as a hierarchical VAE with a fixed encoder, on 2-D toy data (two moons)
        Recipe("diffusion-moons", "DiffusionModel",
               {"data_dim": 2, "hidden": [64, 64, 64], "steps": 50, "beta_min": 1e-3, "beta_max": 0.2, "time_dim": 16},
               "a diffusion model (T = 50 steps) on 2-D two-moons points: every step visible", trainer="diffusion",
               pixels="grey", epochs=30, batch_size=256, lr=2e-3,
               extra={"data": "two-moons", "n_train": 64_000, "n_test": 2_000},
               notes="eps-prediction loss; 2-D points, not images: the trainer draws its own two-moons set (seed 0, "
                     "test set seed 10,000) and ignores the MNIST images the zoo loads"),
        Recipe("vae-20d", "VAE", {"latent_dim": 20, "hidden": _WIDE},
               "quality, importance-weighted log-likelihood, samples", epochs=100, iwae_k=1000,
               notes="784-512-256-20, SiLU, Adam 1e-3 with cosine decay, 100 epochs"),
        Recipe("vae-20d-e30", "VAE", {"latent_dim": 20, "hidden": _WIDE},
               "the MLP twin of conv-vae-20d: the same 30 epochs, so that MLP vs conv changes the network only",
               epochs=30, iwae_k=1000,
               notes="vae-20d's network trained for conv-vae-20d's 30 epochs (cosine decay over 30 epochs)"),
        Recipe("conv-vae-20d", "VAE", {"latent_dim": 20, "hidden": [256], "arch": "conv"},
               "the convolutional VAE: two stride-2 convolutions and their transposes around a 256-unit layer",
               epochs=30, iwae_k=1000,
               notes="conv 1->32->64 channels (4x4, stride 2), 3136->256->2K; decoder mirrored with transposed convs"),
        Recipe("vae-vamp-40d", "VAE", {"latent_dim": 40, "hidden": [512, 256], "prior": "vamp",
                                       "prior_components": 500},
               "the best model of the series: a learned prior (VampPrior) closes the prior's holes", epochs=120,
               kl_warmup_epochs=10, iwae_k=1000, extra={"nll_images": 10_000},
               notes="784-512-256-40 MLP, VampPrior with 500 pseudo-images started at training images, Adam 1e-3 "
                     "with cosine decay, KL warm-up over 10 epochs; -log p(x) on all 10,000 test images"),
    ]


#: name -> :class:`Recipe`, in build order (the small models the notebooks need first, the long ones last)
RECIPES: dict[str, Recipe] = {r.name: r for r in _table()}


# ---------------------------------------------------------------------------------------------------------------
# Matched pairs: every comparison the notebooks draw between two zoo models, and the one thing it names.
# tests/test_recipes.py fails when a declared pair's recipes differ in anything else that shapes training
# (the descriptive fields name, purpose, notes and group are ignored).

#: the recipe fields that only describe a model and do not change what is trained
DESCRIPTIVE_FIELDS: frozenset[str] = frozenset({"name", "purpose", "notes", "group"})


@dataclass(frozen=True)
class Pair:
    """Two zoo models that a notebook compares, and what differs between their recipes (and nothing else).

    ``differs`` names recipe fields (``"beta"``, ``"epochs"``) or keys of ``config`` / ``extra`` as
    ``"config.prior"``, ``"extra.iwae_k_train"``; ``"model_class"`` when the kind of model is the point.
    ``where``: the notebooks that draw the comparison.
    """

    a: str
    b: str
    differs: frozenset[str]
    what: str           # shown in the current language when printed (vae_lib.i18n.Text); compares as English
    where: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.what, Text):
            object.__setattr__(self, "what", Text(self.what))


def recipe_differences(a: Recipe, b: Recipe) -> set[str]:
    """The training-relevant fields in which two recipes differ: ``{"epochs", "config.hidden", ...}``."""
    da, db = a.as_dict(), b.as_dict()
    out: set[str] = set()
    for key in da.keys() - DESCRIPTIVE_FIELDS:
        if key in ("config", "extra"):
            for sub in da[key].keys() | db[key].keys():
                if da[key].get(sub) != db[key].get(sub):
                    out.add(f"{key}.{sub}")
        elif da[key] != db[key]:
            out.add(key)
    return out


def _pairs() -> list[Pair]:
    out = [
        Pair("ae-2d", "vae-2d", frozenset({"model_class", "iwae_k"}),
             N_("what the VAE adds: a stochastic encoder and the KL to N(0, I) (an AE has no likelihood bound to "
                "estimate, hence no iwae_k)"), ("01", "02", "07")),
        Pair("vae-2d", "cvae-2d", frozenset({"model_class", "config.n_classes", "iwae_k"}),
             N_("what conditioning on the label adds"), ("09",)),
        Pair("vae-20d-e30", "conv-vae-20d", frozenset({"config.hidden", "config.arch"}),
             N_("MLP vs convolutional networks, on an equal budget of 30 epochs (the conv net costs more per epoch)"),
             ("06",)),
        Pair("vae-20d-e30", "vae-20d", frozenset({"epochs"}), N_("30 against 100 epochs of the same MLP"), ("06",)),
        Pair("vae-10d-beta-1", "vae-10d-beta-1-e24", frozenset({"epochs"}), N_("beta = 1: 8 against 24 epochs"),
             ("08",)),
        Pair("vae-10d-beta-0.5", "vae-10d-beta-0.5-e24", frozenset({"epochs"}), N_("beta = 0.5: 8 against 24 epochs"),
             ("08",)),
        Pair("vae-10d-beta-1", "vae-10d-beta-1-warmup", frozenset({"kl_warmup_epochs"}), N_("KL warm-up"), ("08",)),
        Pair("vae-2d", "vamp-2d", frozenset({"config.prior", "config.prior_components"}), N_("a VampPrior"), ("11",)),
        Pair("vae-2d", "mog-2d", frozenset({"config.prior", "config.prior_components"}), N_("a mixture prior"), ("11",)),
        Pair("vae-2d", "iwae-2d", frozenset({"extra.iwae_k_train"}), N_("training on L_5 instead of the ELBO"),
             ("11",)),
        Pair("vae-2d-beta-0", "vae-10d-beta-0", frozenset({"config.latent_dim"}), N_("K = 2 against K = 10 at beta = 0"),
             ("01",)),
        Pair("vae-20d-e30", "hvae-20d-e30", frozenset({"model_class", "trainer", "config.top_dim", "config.top_hidden"}),
             N_("one latent layer against two (a top layer z2 of 10 dimensions over the same z1 of 20, top-down "
                "inference); the same trunk, data, seed and 30 epochs"), ("13",)),
        Pair("hvae-small-e10", "hvae-small-e10-freebits", frozenset({"extra.free_bits_top"}),
             N_("free bits on the top layer of a hierarchical VAE"), ("13",)),
        Pair("ae-2d", "aae-2d", frozenset({"model_class", "config.disc_hidden"}),
             N_("an adversarial regularizer on the AE's codes"), ("11",)),
        Pair("vqvae-64-no-restarts", "vqvae-64", frozenset({"extra.restart_every"}),
             N_("dead-code restarts against codebook collapse"), ("12",)),
    ]
    for group in ("beta-2d", "beta-10d"):
        grid = [r for r in RECIPES.values() if r.group == group]
        ref = next(r for r in grid if r.beta == 1.0)
        out += [Pair(ref.name, r.name, frozenset({"beta"}),
                 Text(N_("beta = {beta:g} against beta = 1"), beta=r.beta), ("02", "07", "08"))
                for r in grid if r is not ref]
    likelihoods = [r for r in RECIPES.values() if r.group == "fashion-likelihoods"]
    out += [Pair(likelihoods[0].name, r.name,
                 frozenset({"config.likelihood", "config.decoder_std"}), N_("the decoder's likelihood"), ("10",))
            for r in likelihoods[1:]]
    gauss = [r for r in likelihoods if r.config.get("likelihood") == "gaussian"]   # s = 1, 0.1, learned, per pixel
    out += [Pair(a.name, b.name, frozenset({"config.decoder_std"}), N_("the Gaussian decoder's s"), ("10",))
            for a, b in zip(gauss, gauss[1:])]
    return out


#: every comparison of two zoo models that the notebooks draw (checked by tests/test_recipes.py)
PAIRS: tuple[Pair, ...] = tuple(_pairs())

__all__ += ["DESCRIPTIVE_FIELDS", "PAIRS", "Pair", "recipe_differences"]
