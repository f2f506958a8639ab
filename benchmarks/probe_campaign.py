"""A campaign of bad-input probes against vae_lib, each in its own process with a time limit, the network blocked.

The second campaign after the review of /work/shared/reviews/probes.md: 200+ probes of kinds that review does not
name (views and odd tensor kinds, 0-d tensors and numpy scalars as numbers, edge values of valid ranges, case and
whitespace in names, environment variables, damaged checkpoints of other kinds, explorer arguments, ...). Every probe
says what a good answer is: a clear error (the exception type, and a regex its message must match: the argument
or the fix it names) or a correct result (a check on the value). Each outcome is one of

    1 clear error     the expected kind of error, with a message that names the problem
    2 correct         a result, and the check on it holds
    3 unclear         an error, but not one that says what is wrong (a raw torch or Python error)
    4 crash           the process died (a signal, or an allocation that would take the machine down)
    5 silently wrong  a result where there should be an error, or a result that fails its check
    6 hang            still running at the deadline

How a probe runs: the parent imports vae_lib (``--lib`` puts another copy first on ``sys.path``: the "before"
campaign runs the library as it was) and forks one child per probe. The child sets an audit hook that refuses
network connections, subprocesses and writes into the checkout, caps its address space (``--mem-gb``: an
allocation that would exhaust a teaching machine fails in the child instead of taking this machine down, and is
counted as a crash), runs the probe and sends the outcome back through a pipe. The parent kills a child at the
deadline (``--timeout``).

    python benchmarks/probe_campaign.py --out /work/runs/issue21/after.json
    python benchmarks/probe_campaign.py --lib /tmp/before --out /work/runs/issue21/before.json
    python benchmarks/probe_campaign.py --only 'ckpt.*' -v
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import re
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
CLASSES = {1: "clear error", 2: "correct", 3: "unclear", 4: "crash", 5: "silently wrong", 6: "hang"}
OOM = re.compile(r"can't allocate memory|not enough memory|out of memory|DefaultCPUAllocator|std::bad_alloc",
                 re.IGNORECASE)


# ------------------------------------------------------------------------------------------- expectations
class Err:
    """A clear error: an exception of ``types`` whose message matches ``regex`` (case-insensitive)."""

    def __init__(self, types, regex: str) -> None:
        self.types = types if isinstance(types, tuple) else (types,)
        self.regex = regex


class Ok:
    """A correct result: ``check(result)`` is true. ``or_err``: a clear error is acceptable too."""

    def __init__(self, check=lambda r: True, or_err: Err | None = None) -> None:
        self.check, self.or_err = check, or_err


PROBES: list[tuple[str, object, object]] = []


def P(name: str, call, expect) -> None:
    PROBES.append((name, call, expect))


# ------------------------------------------------------------------------------------------- the probes
def define(F) -> None:  # noqa: PLR0915 - one line per probe
    """Every probe, one line each; ``F`` holds the fixtures (made in the parent, shared by the forks)."""
    import numpy as np
    import torch
    from torch import nn

    from vae_lib import checkpoints, data, losses, metrics, models, plots, toy, train, zoo
    from vae_lib.classifier import DigitClassifier, confident_fraction, predict_proba, train_classifier

    X, Y, V, A, C = F.X, F.Y, F.V, F.A, F.C
    T = lambda *s: torch.zeros(*s)  # noqa: E731
    VE, TE = ValueError, TypeError
    VT = (ValueError, TypeError)
    CE = checkpoints.CheckpointError

    def w():  # the widgets module, imported in the child only when a probe needs it
        import vae_lib.widgets as wd
        return wd

    # --- tensors of odd kinds as images (valid ones must work, invalid ones be named) -------------------
    P("img.non_contiguous", lambda: V.encode(X.transpose(2, 3))[0].shape, Ok(lambda r: r == (8, 2)))
    P("img.negative_stride_flip", lambda: V.encode(X.flip(0))[0].shape, Ok(lambda r: r == (8, 2)))
    P("img.expanded_view", lambda: V.encode(X[:1].expand(5, -1, -1, -1))[0].shape, Ok(lambda r: r == (5, 2)))
    P("img.requires_grad", lambda: V.encode(X.clone().requires_grad_())[0].requires_grad, Ok(lambda r: r is True))
    P("img.parameter", lambda: V.encode(nn.Parameter(X.clone()))[0].shape, Ok(lambda r: r == (8, 2)))
    P("img.complex", lambda: V.encode(X.to(torch.complex64)), Err(VT, r"dtype|complex|float"))
    P("img.sparse", lambda: V.encode(X.to_sparse()), Err(VT, r"sparse|dense|layout|to_dense"))
    P("img.meta_device", lambda: V.encode(torch.empty(8, 1, 28, 28, device="meta")), Err(VT, r"meta|device"))
    P("img.int8_negative", lambda: V.encode((X * -1).to(torch.int8)), Err(VT, r"float|dtype"))
    P("img.uint8_binary", lambda: V.encode(X.to(torch.uint8)), Err(VT, r"x\.float\(\)(?! / 255)"))
    P("img.float_0_255_elbo_grey", lambda: losses.elbo(V, X * 200 + 10), Err(VE, r"\[0, 1\].*255"))
    P("img.minus1_1_range", lambda: V.encode(X * 2 - 1), Err(VE, r"\[0, 1\].*(\(x \+ 1\) / 2|rescale)"))
    P("img.tiny_negative", lambda: V.encode(X - 1e-7), Err(VE, r"\[0, 1\].*clamp"))
    P("img.one_pixel_nan_terms", lambda: V.terms(F.NAN), Err(VE, r"nan"))
    P("img.batch_of_one", lambda: V.encode(X[:1])[0].shape, Ok(lambda r: r == (1, 2)))
    P("img.wrong_hw_32", lambda: V.encode(torch.zeros(2, 1, 32, 32)), Err(VE, r"28, 28"))
    P("img.5d", lambda: V.encode(X[None]), Err(VE, r"\[N, 1, 28, 28\]"))
    P("img.scalar_tensor", lambda: V.encode(torch.tensor(0.5)), Err(VE, r"\[N, 1, 28, 28\]"))
    P("img.python_float", lambda: V.encode(0.5), Err(TE, r"tensor"))
    P("img.none", lambda: V.encode(None), Err(TE, r"tensor"))
    P("img.pil_like_list_of_lists", lambda: V.encode([[0.0] * 28] * 28), Err(TE, r"tensor"))
    P("img.posterior_mean_int_images", lambda: V.posterior_mean(X.long()), Err(VE, r"float"))
    P("img.ae_forward_float64", lambda: A(X.double()), Err(VE, r"float32|x\.float\(\)"))
    P("img.classifier_half", lambda: DigitClassifier()(X.half()).dtype, Ok(lambda r: r == torch.float32,
                                                                            or_err=Err(VE, r"dtype|float")))
    P("img.model_double_images_double", lambda: models.VAE(2, (8,)).double().encode(X.double())[0].dtype,
      Ok(lambda r: r == torch.float64))
    P("img.model_double_images_float", lambda: models.VAE(2, (8,)).double().encode(X),
      Ok(lambda r: r[0].dtype == torch.float64, or_err=Err(VE, r"float64|double|dtype")))

    # --- latent codes ----------------------------------------------------------------------------------
    P("z.empty_batch", lambda: V.decode(T(0, 2)).shape, Ok(lambda r: r == (0, 1, 28, 28)))
    P("z.three_dims", lambda: V.decode(T(3, 4, 2)).shape, Ok(lambda r: r == (3, 4, 1, 28, 28)))
    P("z.one_code", lambda: V.decode(T(2)).shape, Ok(lambda r: r == (1, 28, 28)))
    P("z.list", lambda: V.decode([[0.0, 0.0]]), Err(TE, r"tensor"))
    P("z.int_tensor", lambda: V.decode(torch.zeros(2, 2, dtype=torch.long)), Err(VT, r"float"))
    P("z.bool_tensor", lambda: V.decode(torch.zeros(2, 2, dtype=torch.bool)), Err(VT, r"float"))
    P("z.half_codes", lambda: V.decode(T(2, 2).half()).dtype, Ok(lambda r: r == torch.float32,
                                                               or_err=Err(VE, r"dtype|float")))
    P("z.huge_finite", lambda: V.decode_mean(torch.full((1, 2), 1e30)), Ok(lambda r: bool(torch.isfinite(r).all()),
                                                                          or_err=Err(VE, r"z|code")))
    P("z.neg_inf_one", lambda: V.decode(torch.tensor([[-math.inf, 0.0]])), Err(VE, r"inf"))
    P("z.decode_mean_nan", lambda: V.decode_mean(torch.tensor([[math.nan, 0.0]])), Err(VE, r"nan"))
    P("z.cvae_float_labels", lambda: C.decode(T(2, 2), torch.tensor([1.0, 2.0])), Err(VE, r"label"))
    P("z.cvae_label_10", lambda: C.decode(T(2, 2), torch.tensor([1, 10])), Err(VE, r"\[0, 10\)"))
    P("z.cvae_labels_list", lambda: C.decode(T(2, 2), [1, 2]).shape, Ok(lambda r: r == (2, 1, 28, 28)))
    P("z.cvae_labels_numpy", lambda: C.decode(T(2, 2), np.array([1, 2])).shape, Ok(lambda r: r == (2, 1, 28, 28)))
    P("z.cvae_labels_int32", lambda: C.decode(T(2, 2), torch.tensor([1, 2], dtype=torch.int32)).shape,
      Ok(lambda r: r == (2, 1, 28, 28)))
    P("z.cvae_no_labels", lambda: C.decode(T(2, 2)), Err(VE, r"label"))
    P("z.log_likelihood_z_4d", lambda: V.log_likelihood(X, T(2, 3, 8, 2)), Ok(lambda r: r.shape == (2, 3, 8),
                                                                            or_err=Err(VE, r"\[S, B, K\]|z")))
    P("z.log_likelihood_z_nan", lambda: V.log_likelihood(X, torch.full((8, 2), math.nan)), Err(VE, r"nan"))
    P("z.log_prior_wrong_k", lambda: V.log_prior(T(3, 5)), Err(VE, r"2|latent"))
    P("z.kl_mog_without_z", lambda: models.VAE(2, (8,), prior="mog", prior_components=3).kl(T(3, 2), T(3, 2)),
      Err(VT, r"\bz\b|samples"))
    P("z.kl_mog_z_wrong_batch", lambda: models.VAE(2, (8,), prior="mog", prior_components=3).kl(T(3, 2), T(3, 2),
                                                                                               T(4, 5, 2)),
      Err(VE, r"\bz\b|samples"))
    P("z.aae_discriminate_nan", lambda: F.AAE.discriminate(torch.full((2, 2), math.nan)), Err(VE, r"nan"))

    # --- numbers: 0-d tensors, numpy scalars, fractions, edge values ---------------------------------
    P("num.beta_numpy_float32", lambda: float(losses.elbo(V, X, beta=np.float32(2.0)).elbo.mean()),
      Ok(lambda r: math.isfinite(r)))
    P("num.beta_0d_tensor", lambda: float(losses.elbo(V, X, beta=torch.tensor(0.5)).elbo.mean()),
      Ok(lambda r: math.isfinite(r)))
    P("num.beta_fraction", lambda: float(losses.elbo(V, X, beta=__import__("fractions").Fraction(1, 2)).elbo.mean()),
      Ok(lambda r: math.isfinite(r)))
    P("num.beta_decimal", lambda: losses.elbo(V, X, beta=__import__("decimal").Decimal("0.5")),
      Ok(lambda r: True, or_err=Err(VT, r"beta")))
    P("num.beta_complex", lambda: losses.elbo(V, X, beta=1 + 0j), Err(VT, r"beta"))
    P("num.beta_zero", lambda: losses.elbo(V, X, beta=0.0), Ok(lambda r: torch.equal(r.elbo, r.log_likelihood)))
    P("num.beta_inf", lambda: losses.elbo(V, X, beta=math.inf), Err(VE, r"beta"))
    P("num.beta_neg_zero", lambda: float(losses.elbo(V, X, beta=-0.0).elbo.mean()), Ok(lambda r: math.isfinite(r)))
    P("num.beta_tensor_2el", lambda: losses.elbo(V, X, beta=torch.tensor([1.0, 2.0])), Err(VT, r"beta"))
    P("num.n_samples_0d_tensor", lambda: losses.elbo(V, X, n_samples=torch.tensor(3)).elbo.shape,
      Ok(lambda r: r == (8,), or_err=Err(TE, r"n_samples")))
    P("num.n_samples_numpy", lambda: losses.elbo(V, X, n_samples=np.int64(3)).elbo.shape, Ok(lambda r: r == (8,)))
    P("num.n_samples_huge", lambda: losses.elbo(V, X, n_samples=10**9), Err(VE, r"n_samples|cap|numbers"))
    P("num.iwae_k_numpy", lambda: losses.iwae_bound(V, X, np.int32(4)).shape, Ok(lambda r: r == (8,)))
    P("num.iwae_chunk_bigger_than_k", lambda: losses.iwae_bound(V, X, 3, chunk_size=1000).shape,
      Ok(lambda r: r == (8,)))
    P("num.iwae_k1_equals_elbo_in_mean", lambda: (losses.iwae_bound(V, X.repeat(250, 1, 1, 1), 1).mean()
                                                   - losses.elbo(V, X.repeat(250, 1, 1, 1)).elbo.mean()).abs().item(),
      Ok(lambda r: r < 0.5))
    P("num.iwae_chunk_huge_memory", lambda: losses.iwae_bound(V, torch.rand(2000, 1, 28, 28), 10**6,
                                                              chunk_size=10**6), Err(VE, r"chunk|cap|numbers"))
    P("num.lr_numpy", lambda: len(train.fit(models.VAE(2, (8,)), X, epochs=1, lr=np.float64(1e-3), progress=False,
                                            device="cpu")), Ok(lambda r: r == 1))
    P("num.lr_huge_diverges", lambda: train.fit(models.VAE(2, (8,)), X, epochs=3, lr=1e30, progress=False,
                                                device="cpu"),
      Ok(lambda h: all(math.isfinite(r["train_elbo"]) for r in h), or_err=Err(RuntimeError, r"loss became")))
    P("num.epochs_numpy", lambda: len(train.fit(models.VAE(2, (8,)), X, epochs=np.int64(1), progress=False,
                                                device="cpu")), Ok(lambda r: r == 1))
    P("num.batch_size_bigger_than_n", lambda: len(train.fit(models.VAE(2, (8,)), X, epochs=1, batch_size=10**6,
                                                            progress=False, device="cpu")), Ok(lambda r: r == 1))
    P("num.warmup_huge", lambda: train.fit(models.VAE(2, (8,)), X, epochs=1, kl_warmup_epochs=1e9, progress=False,
                                           device="cpu")[0]["train_objective"],
      Ok(lambda r: math.isfinite(r)))
    P("num.warmup_inf", lambda: train.fit(models.VAE(2, (8,)), X, epochs=1, kl_warmup_epochs=math.inf,
                                          progress=False, device="cpu"), Err(VE, r"kl_warmup_epochs"))
    P("num.threshold_nan", lambda: metrics.active_units(V, X, math.nan), Err(VE, r"threshold"))
    P("num.threshold_numpy", lambda: metrics.active_units(V, X, np.float32(0.01)), Ok(lambda r: 0 <= r <= 2))
    P("num.quantile_1", lambda: metrics.hole_fraction(F.CODES, F.CODES, F.CODES, 1.0), Ok(lambda r: r == 0.0))
    P("num.quantile_above_1", lambda: metrics.hole_fraction(F.CODES, F.CODES, F.CODES, 1.5), Err(VE, r"quantile"))
    P("num.quantile_nan", lambda: metrics.hole_fraction(F.CODES, F.CODES, F.CODES, math.nan), Err(VE, r"quantile"))
    P("num.bits_per_dim_levels_1", lambda: metrics.bits_per_dim(80.0, levels=1), Err(VE, r"levels"))
    P("num.bits_per_dim_nan", lambda: metrics.bits_per_dim(math.nan), Err(VE, r"nll"))
    P("num.confident_threshold_1", lambda: confident_fraction(DigitClassifier(), X, 1.0), Err(VE, r"threshold"))
    P("num.confident_threshold_str", lambda: confident_fraction(DigitClassifier(), X, "0.9"), Err(VT, r"threshold"))
    P("num.knn_k_bigger_than_train", lambda: metrics.knn_accuracy(F.CODES, F.LAB60, 10, 10, 11), Err(VE, r"\bk\b"))
    P("num.knn_0d_counts", lambda: metrics.knn_accuracy(F.CODES, F.LAB60, torch.tensor(40), 10, 5),
      Ok(lambda r: 0 <= r <= 1, or_err=Err(TE, r"n_train")))
    P("num.knn_labels_float", lambda: metrics.knn_accuracy(F.CODES, F.LAB60.float(), 40, 10), Err(VT, r"label"))
    P("num.knn_labels_negative", lambda: metrics.knn_accuracy(F.CODES, F.LAB60 - 5, 40, 10), Ok(lambda r: 0 <= r <= 1))
    P("num.decoder_std_zero", lambda: models.VAE(2, likelihood="gaussian", decoder_std=0.0), Err(VE, r"decoder_std"))
    P("num.decoder_std_inf", lambda: models.VAE(2, likelihood="gaussian", decoder_std=math.inf),
      Err(VE, r"decoder_std"))
    P("num.decoder_std_typo", lambda: models.VAE(2, likelihood="gaussian", decoder_std="learnt"),
      Err(VT, r"decoder_std.*learned"))
    P("num.decoder_std_numpy", lambda: models.VAE(2, (8,), likelihood="gaussian", decoder_std=np.float32(0.5))
      .config["decoder_std"], Ok(lambda r: r == 0.5))
    P("num.kl_weight_0d_tensor_step", lambda: train.kl_weight(torch.tensor(2), beta=1.0, warmup_steps=4),
      Ok(lambda r: abs(float(r) - 0.5) < 1e-9, or_err=Err(TE, r"step")))
    P("num.kl_weight_float_warmup", lambda: train.kl_weight(2, beta=1.0, warmup_steps=4.5),
      Err(TE, r"warmup_steps"))

    # --- choices: case, whitespace, types --------------------------------------------------------------
    P("choice.split_upper", lambda: data.load_mnist("TEST", download=False), Err(VE, r"split"))
    P("choice.split_space", lambda: data.load_mnist(" test", download=False), Err(VE, r"split"))
    P("choice.dataset_upper", lambda: data.load_mnist("test", dataset="MNIST", download=False), Err(VE, r"dataset"))
    P("choice.dataset_none", lambda: data.load_mnist("test", dataset=None, download=False), Err(VE, r"dataset"))
    P("choice.binarize_true", lambda: data.load_mnist("test", binarize=True, download=False), Err(VE, r"binarize"))
    P("choice.binarize_case", lambda: data.binarize_images(X, "Static"), Err(VE, r"static"))
    P("choice.binarize_mode_none", lambda: data.binarize_images(X, None), Err(VE, r"static"))
    P("choice.arch_upper", lambda: models.VAE(2, arch="MLP"), Err(VE, r"arch"))
    P("choice.activation_unknown", lambda: models.VAE(2, activation="gelu"), Err(VE, r"activation"))
    P("choice.likelihood_typo", lambda: models.VAE(2, likelihood="gauss"), Err(VE, r"likelihood"))
    P("choice.prior_typo", lambda: models.VAE(2, prior="vampprior", prior_components=3), Err(VE, r"prior"))
    P("choice.prior_list", lambda: models.VAE(2, prior=["mog"]), Err(VE, r"prior"))
    P("choice.schedule_typo", lambda: train.fit(models.VAE(2, (8,)), X, epochs=1, schedule="cos", progress=False,
                                                device="cpu"), Err(VE, r"schedule"))
    P("choice.fit_binarize_static", lambda: train.fit(models.VAE(2, (8,)), X, epochs=1, binarize="static",
                                                      progress=False, device="cpu"), Err(VE, r"binarize"))
    P("choice.zoo_name_upper", lambda: zoo.load("VAE-2D"), Err(KeyError, r"known models"))
    P("choice.zoo_name_newline", lambda: zoo.load("vae-2d\n"), Err(KeyError, r"known models"))
    P("choice.zoo_name_none", lambda: zoo.load(None), Err(KeyError, r"known models"))
    P("choice.zoo_info_int", lambda: zoo.info(3), Err(KeyError, r"known models"))
    P("choice.zoo_select_star", lambda: len(zoo.select(["*"])), Ok(lambda r: r == len(zoo.names())))
    P("choice.zoo_select_bad_glob", lambda: zoo.select(["vae-2d-beta-["]), Err(KeyError, r"known models"))
    P("choice.zoo_select_tuple", lambda: zoo.select(("ae-2d",)), Ok(lambda r: r == ["ae-2d"]))
    P("choice.zoo_beta_grid_str", lambda: zoo.beta_grid("2"), Err(VT, r"latent_dim|beta grid"))
    P("choice.zoo_beta_grid_3", lambda: zoo.beta_grid(3), Err(VE, r"beta grid"))
    P("choice.zoo_test_set_pixels", lambda: zoo.test_set("mnist", "binarized"), Err(VE, r"pixels"))
    P("choice.zoo_names_group_int", lambda: zoo.names(2), Ok(lambda r: r == [], or_err=Err(VE, r"group")))
    P("choice.explorer_size_unknown", lambda: w().KLExplorer(size="huge"), Err(VE, r"size"))
    P("choice.explorer_size_dict", lambda: w().KLExplorer(size={"name": "large"}), Err(VT, r"size"))
    P("choice.kl_mode_typo", lambda: w().KLExplorer(mode="gauss"), Err(VE, r"mode"))
    P("choice.kl_fit_direction", lambda: w().KLExplorer().fit("q||p"), Err(VE, r"direction"))
    P("choice.latent_range_typo", lambda: w().LatentExplorer(V, range="priors", dataset=(X, Y)), Err(VE, r"range"))
    P("choice.language_unknown", lambda: __import__("vae_lib.i18n").i18n.set_language("fr"), Err(VE, r"en|ko|lang"))

    # --- constructors: sizes and kinds -----------------------------------------------------------------
    P("ctor.latent_dim_huge", lambda: models.VAE(10**6, (8,)), Err(VE, r"latent_dim"))
    P("ctor.latent_dim_float", lambda: models.VAE(2.0), Err(TE, r"latent_dim"))
    P("ctor.latent_dim_numpy", lambda: models.VAE(np.int64(2), (8,)).latent_dim, Ok(lambda r: r == 2))
    P("ctor.hidden_empty", lambda: models.VAE(2, hidden=()).latent_dim, Ok(lambda r: r == 2))
    P("ctor.hidden_zero", lambda: models.VAE(2, hidden=(0,)), Err(VE, r"hidden"))
    P("ctor.hidden_numpy_array", lambda: models.VAE(2, hidden=np.array([8, 4])),
      Ok(lambda r: r.hidden == (8, 4), or_err=Err(TE, r"hidden")))
    P("ctor.hidden_generator", lambda: models.VAE(2, hidden=(h for h in (8, 4))), Err(TE, r"hidden"))
    P("ctor.hidden_floats", lambda: models.VAE(2, hidden=(8.0,)), Err(TE, r"hidden"))
    P("ctor.hidden_wide_layers", lambda: models.VAE(2, hidden=(12_000, 12_000, 12_000, 12_000)),
      Err(VE, r"cap|parameters"))
    P("ctor.conv_hidden_huge", lambda: models.VAE(2, hidden=(2**31,), arch="conv"), Err(VE, r"cap|hidden"))
    P("ctor.n_classes_1", lambda: models.ConditionalVAE(2, n_classes=1), Err(VE, r"n_classes"))
    P("ctor.n_classes_huge", lambda: models.ConditionalVAE(2, n_classes=10**7, hidden=(8,)), Err(VE, r"n_classes"))
    P("ctor.prior_components_zero", lambda: models.VAE(2, prior="mog", prior_components=0),
      Err(VE, r"prior_components"))
    P("ctor.prior_components_huge", lambda: models.VAE(2, (8,), prior="vamp", prior_components=10**7),
      Err(VE, r"prior_components|cap"))
    P("ctor.prior_components_float", lambda: models.VAE(2, prior="mog", prior_components=3.0),
      Err(VT, r"prior_components"))
    P("ctor.vamp_conditional", lambda: models.ConditionalVAE(2, prior="vamp", prior_components=3),
      Err(VE, r"vamp|mog"))
    P("ctor.bernoulli_with_std", lambda: models.VAE(2, decoder_std=0.5), Err(VE, r"decoder_std"))
    P("ctor.ae_with_prior_kwarg", lambda: models.Autoencoder(2, prior="mog"), Err(TE, r"prior"))
    P("ctor.aae_disc_hidden_empty", lambda: __import__("vae_lib.aae").aae.AdversarialAutoencoder(2, (8,), disc_hidden=())
      .discriminate(T(3, 2)).shape, Ok(lambda r: r == (3,)))
    P("ctor.aae_disc_hidden_huge", lambda: __import__("vae_lib.aae").aae.AdversarialAutoencoder(
        2, (8,), disc_hidden=(10**6, 10**6)), Err(VE, r"cap|disc_hidden"))
    P("ctor.classifier_hidden_huge", lambda: DigitClassifier(hidden=10**8), Err(VE, r"hidden"))
    P("ctor.classifier_hidden_str", lambda: DigitClassifier(hidden="256"), Err(TE, r"hidden"))
    P("ctor.toy_W_int", lambda: toy.LinearGaussian(torch.ones(5, 2, dtype=torch.long)), Err(VT, r"W"))
    P("ctor.toy_W_nan", lambda: toy.LinearGaussian(torch.full((5, 2), math.nan)), Err(VE, r"W|nan"))
    P("ctor.toy_b_wrong", lambda: toy.LinearGaussian(torch.ones(5, 2), b=torch.zeros(3)), Err(VE, r"\bb\b"))
    P("ctor.toy_D_huge", lambda: toy.LinearGaussian(torch.ones(10**5, 1)), Err(VE, r"cap|numbers|W"))
    P("ctor.toy1d_L_negative", lambda: toy.NonlinearToy1D(L=-1.0), Err(VE, r"\bL\b"))
    P("ctor.toy1d_n_huge", lambda: toy.NonlinearToy1D(n=10**10), Err(VE, r"\bn\b"))
    P("ctor.toy1d_f_not_callable", lambda: toy.NonlinearToy1D(f=3.0), Err(TE, r"\bf\b"))
    P("ctor.toy1d_s_str", lambda: toy.NonlinearToy1D(s="0.5"), Err(TE, r"\bs\b"))

    # --- methods of the models and priors ------------------------------------------------------------
    P("meth.sample_huge", lambda: V.sample(10**9), Err(VE, r"\bn\b"))
    P("meth.sample_numpy_n", lambda: V.sample(np.int64(3)).shape, Ok(lambda r: r == (3, 1, 28, 28)))
    P("meth.sample_labels_for_vae", lambda: V.sample(3, labels=torch.tensor([1, 2, 3])), Err(VE, r"label"))
    P("meth.cvae_sample_labels_range", lambda: C.sample(2, labels=torch.tensor([1, 12])), Err(VE, r"\[0, 10\)"))
    P("meth.cvae_sample_labels_short", lambda: C.sample(3, labels=torch.tensor([1])), Err(VE, r"\[3\]|label"))
    P("meth.prior_sample_zero", lambda: V.prior.sample(0), Err(VE, r"\bn\b"))
    P("meth.prior_sample_gen_int", lambda: V.prior.sample(3, 0), Err(TE, r"generator"))
    P("meth.posterior_mean_labels_vae", lambda: V.posterior_mean(X, Y), Err(VE, r"not conditional"))
    P("meth.posterior_mean_batch_float", lambda: V.posterior_mean(X, batch_size=2.0), Err(TE, r"batch_size"))
    P("meth.posterior_mean_restores_mode", lambda: (V.train(), V.posterior_mean(X), V.training)[2],
      Ok(lambda r: r is True))
    P("meth.terms_generator_seed", lambda: V.terms(X, generator=0), Err(TE, r"generator"))
    P("meth.terms_beta_str", lambda: V.terms(X, beta="1"), Err(VT, r"beta"))
    P("meth.terms_iwae_zero", lambda: V.terms(X, iwae_k=0), Err(VE, r"iwae_k"))
    P("meth.forward_labels_for_vae", lambda: V(X, Y), Err(VE, r"not conditional"))
    P("meth.ae_terms_labels", lambda: A.terms(X, Y), Err(VE, r"not conditional"))
    P("meth.cvae_encode_labels_2d", lambda: C.encode(X, Y[:, None]), Err(VE, r"label"))
    P("meth.kl_shapes_mismatch", lambda: V.kl(T(3, 2), T(4, 2)), Err(VE, r"same shape|logvar"))
    P("meth.vamp_init_from_few", lambda: models.VAE(2, (8,), prior="vamp", prior_components=50).prior.init_from(X),
      Err(VE, r"50|pseudo"))
    P("meth.vamp_init_from_0_255", lambda: models.VAE(2, (8,), prior="vamp", prior_components=3).prior.init_from(X * 255),
      Err(VE, r"255"))
    P("meth.decoder_log_variance_bernoulli", lambda: V.decoder_log_variance(), Err(AttributeError, r"bernoulli"))
    P("meth.toy_encode_wrong_D", lambda: F.LG.encode(T(4, 3)), Err(VE, r"\bx\b|D ="))
    P("meth.toy_log_likelihood_z_wrong", lambda: F.LG.log_likelihood(T(4, 5), T(4, 3)), Err(VE, r"\bz\b|K ="))
    P("meth.toy_log_marginal_nan", lambda: F.LG.log_marginal(torch.full((2, 5), math.nan)), Err(VE, r"nan"))
    P("meth.toy1d_elbo_terms_sigma_0", lambda: F.NL.elbo_terms(1.0, 0.0, 0.0), Err(VE, r"sigma"))
    P("meth.toy1d_elbo_terms_nan_x", lambda: F.NL.elbo_terms(math.nan, 0.0, 1.0), Err(VE, r"\bx\b"))
    P("meth.toy1d_fit_q_steps_neg", lambda: F.NL.fit_q(1.0, steps=-1), Err(VE, r"steps"))
    P("meth.toy1d_sample_float_n", lambda: F.NL.sample(2.5), Err(TE, r"\bn\b"))
    P("meth.toy1d_clamp_q_nan", lambda: F.NL.clamp_q(math.nan, 1.0), Err(VE, r"mu"))
    P("meth.toy1d_log_marginal_str", lambda: F.NL.log_marginal("1.0"), Err(TE, r"\bx\b"))

    # --- losses with legitimate broadcasting (must keep working) ---------------------------------------
    P("loss.kl_normal_p_broadcast", lambda: losses.kl_normal(T(5, 2), T(5, 2), T(2), T(2)).shape,
      Ok(lambda r: r == (5,)))
    P("loss.kl_normal_point_mass_equal", lambda: float(losses.kl_normal(T(1, 1), torch.full((1, 1), -math.inf),
                                                                        T(1, 1), torch.full((1, 1), -math.inf))),
      Ok(lambda r: r == 0.0))
    P("loss.log_normal_diag_broadcast", lambda: losses.log_normal_diag(T(4, 3, 2), T(3, 2), T(3, 2)).shape,
      Ok(lambda r: r == (4, 3)))
    P("loss.log_normal_diag_mismatch", lambda: losses.log_normal_diag(T(4, 3), T(5, 2), T(5, 2)),
      Err(VE, r"broadcast|shape"))
    P("loss.log_prior_numpy", lambda: losses.log_prior(np.zeros((3, 2))), Err(TE, r"numpy|tensor"))
    P("loss.reparam_grad_flows", lambda: losses.reparameterize(torch.zeros(3, 2, requires_grad=True),
                                                              T(3, 2)).requires_grad, Ok(lambda r: r is True))
    P("loss.reparam_0d", lambda: losses.reparameterize(torch.tensor(0.0), torch.tensor(0.0)),
      Ok(lambda r: r.shape == (), or_err=Err(VE, r"mu|dimension")))
    P("loss.reparam_logvar_inf", lambda: losses.reparameterize(T(2, 2), torch.full((2, 2), math.inf)),
      Ok(lambda r: False, or_err=Err(VE, r"logvar|inf")))
    P("loss.bernoulli_logits_nan", lambda: losses.bernoulli_log_likelihood(X, torch.full((8, 1, 28, 28), math.nan)),
      Err(VE, r"nan"))
    P("loss.bernoulli_targets_grey", lambda: losses.bernoulli_log_likelihood(X * 0.5, T(8, 1, 28, 28)).shape,
      Ok(lambda r: r == (8,)))
    P("loss.bernoulli_samples_leading", lambda: losses.bernoulli_log_likelihood(X, T(3, 8, 1, 28, 28)).shape,
      Ok(lambda r: r == (3, 8)))
    P("loss.gaussian_logvar_tensor_pixel", lambda: losses.gaussian_log_likelihood(X, X, T(1, 28, 28)).shape,
      Ok(lambda r: r == (8,)))
    P("loss.gaussian_logvar_inf_tensor", lambda: losses.gaussian_log_likelihood(X, X, torch.full((1,), math.inf)),
      Err(VE, r"logvar|inf"))
    P("loss.gaussian_x_numpy", lambda: losses.gaussian_log_likelihood(X.numpy(), X, 0.0), Err(TE, r"numpy|tensor"))
    P("loss.elbo_toy_model", lambda: losses.elbo(F.LG, torch.randn(4, 5, dtype=torch.float64)).elbo.shape,
      Ok(lambda r: r == (4,)))
    P("loss.elbo_toy_labels", lambda: losses.elbo(F.LG, torch.randn(4, 5, dtype=torch.float64), labels=Y[:4]),
      Err(VE, r"label"))
    P("loss.iwae_toy_nan_x", lambda: losses.iwae_bound(F.LG, torch.full((4, 5), math.nan, dtype=torch.float64), 3),
      Err(VE, r"nan"))
    P("loss.elbo_aae", lambda: losses.elbo(F.AAE, X), Err(TE, r"VAE|prior"))
    P("loss.elbo_classifier", lambda: losses.elbo(DigitClassifier(), X), Err(TE, r"model|encode"))
    P("loss.elbo_none_model", lambda: losses.elbo(None, X), Err(TE, r"model"))
    P("loss.iwae_none_model", lambda: losses.iwae_bound(None, X, 3), Err(TE, r"model"))

    # --- training --------------------------------------------------------------------------------------
    fit1 = lambda m, x=X, **k: train.fit(m, x, **{"epochs": 1, "progress": False, "device": "cpu", **k})  # noqa: E731
    P("fit.test_images_flat", lambda: fit1(models.VAE(2, (8,)), test_images=X.view(8, 784)), Err(VE, r"reshape"))
    P("fit.test_images_0_255", lambda: fit1(models.VAE(2, (8,)), test_images=X * 255), Err(VE, r"255"))
    P("fit.labels_numpy_cvae", lambda: len(fit1(models.ConditionalVAE(2, hidden=(8,)), labels=Y.numpy())),
      Ok(lambda r: r == 1))
    P("fit.labels_list_cvae", lambda: len(fit1(models.ConditionalVAE(2, hidden=(8,)), labels=Y.tolist())),
      Ok(lambda r: r == 1))
    P("fit.labels_uint8_cvae", lambda: len(fit1(models.ConditionalVAE(2, hidden=(8,)), labels=Y.to(torch.uint8))),
      Ok(lambda r: r == 1))
    P("fit.progress_str", lambda: fit1(models.VAE(2, (8,)), progress="no"), Err(TE, r"progress"))
    P("fit.dequantize_str", lambda: fit1(models.VAE(2, (8,)), dequantize="yes"), Err(TE, r"dequantize"))
    P("fit.device_int", lambda: fit1(models.VAE(2, (8,)), device=0), Err(VT, r"device"))
    P("fit.device_cuda_missing", lambda: fit1(models.VAE(2, (8,)), device="cuda"), Err(VE, r"cuda"))
    P("fit.device_torch_cpu", lambda: len(fit1(models.VAE(2, (8,)), device=torch.device("cpu"))), Ok(lambda r: r == 1))
    P("fit.device_upper", lambda: fit1(models.VAE(2, (8,)), device="CPU"), Err(VE, r"device"))
    P("fit.on_epoch_class", lambda: fit1(models.VAE(2, (8,)), on_epoch=dict), Err(TE, r"on_epoch"))
    P("fit.on_epoch_kwargs_only", lambda: fit1(models.VAE(2, (8,)), on_epoch=lambda *, model, row: None),
      Err(TE, r"on_epoch"))
    P("fit.on_epoch_varargs", lambda: len(fit1(models.VAE(2, (8,)), on_epoch=lambda *a: None)), Ok(lambda r: r == 1))
    P("fit.model_none", lambda: fit1(None), Err(TE, r"model"))
    P("fit.model_string", lambda: fit1("vae-2d"), Err(TE, r"zoo.load|model"))
    P("fit.classifier_as_model", lambda: fit1(DigitClassifier()), Err(TE, r"vae_lib model"))
    P("fit.toy_as_model", lambda: fit1(F.LG, torch.randn(4, 5, dtype=torch.float64)), Err(TE, r"vae_lib model"))
    P("fit.images_requires_grad", lambda: len(fit1(models.VAE(2, (8,)), X.clone().requires_grad_())),
      Ok(lambda r: r == 1))
    P("fit.images_non_contiguous", lambda: len(fit1(models.VAE(2, (8,)), X.transpose(2, 3))), Ok(lambda r: r == 1))
    P("fit.aae_iwae", lambda: fit1(__import__("vae_lib.aae").aae.AdversarialAutoencoder(2, (8,)), iwae_k=3),
      Err(VE, r"iwae"))
    P("fit.history_column_empty", lambda: train.History().column("epoch"), Ok(lambda r: r == []))
    P("fit.evaluate_batch_zero", lambda: train.evaluate(V, X, batch_size=0), Err(VE, r"batch_size"))
    P("fit.evaluate_labels_vae", lambda: train.evaluate(V, X, labels=Y), Err(VE, r"not conditional"))
    P("fit.evaluate_nonmodel", lambda: train.evaluate(nn.Linear(2, 2), X), Err(TE, r"vae_lib model"))
    P("fit.train_step_not_optimizer", lambda: train.train_step(V, "adam", X), Err(TE, r"optimizer"))
    P("fit.train_step_beta_nan", lambda: train.train_step(V, torch.optim.SGD(V.parameters(), lr=0.0), X,
                                                          beta=math.nan), Err(VE, r"beta"))
    P("fit.resolve_device_gpu", lambda: train.resolve_device("gpu"), Err(VE, r"device|gpu"))
    P("fit.resolve_device_none", lambda: train.resolve_device(None), Err(VT, r"device"))

    # --- data ------------------------------------------------------------------------------------------
    P("data.root_is_file", lambda: data.load_mnist("test", root=F.A_FILE, download=False),
      Err((data.DatasetNotFoundError, VE, NotADirectoryError), r"a-file|MNIST"))
    P("data.root_bytes", lambda: data.load_mnist("test", root=b"/tmp", download=False), Err(TE, r"root"))
    P("data.root_tilde", lambda: data.load_mnist("test", root="~/no-such-vae-data", download=False),
      Err(data.DatasetNotFoundError, r"no-such-vae-data"))
    P("data.env_data_empty_string", lambda: (os.environ.__setitem__("VAE_LIB_DATA", ""), data.data_root())[1],
      Ok(lambda r: str(r).endswith("data")))
    P("data.env_timeout_zero", lambda: (os.environ.__setitem__("VAE_LIB_DOWNLOAD_TIMEOUT", "0"),
                                        data.load_mnist("test", root=F.TMP / "empty-data"))[1],
      Err(VE, r"VAE_LIB_DOWNLOAD_TIMEOUT"))
    P("data.env_timeout_nan", lambda: (os.environ.__setitem__("VAE_LIB_DOWNLOAD_TIMEOUT", "nan"),
                                       data.load_mnist("test", root=F.TMP / "empty-data2"))[1],
      Err(VE, r"VAE_LIB_DOWNLOAD_TIMEOUT"))
    P("data.download_int_1", lambda: data.load_mnist("test", root=F.TMP / "empty-data3", download=1),
      Err(TE, r"download"))
    P("data.download_none", lambda: data.load_mnist("test", root=F.TMP / "empty-data4", download=None),
      Err(TE, r"download"))
    P("data.images_32x32_file", lambda: (F.write_idx(F.TMP / "d32", 3, rows=32), data.load_mnist(
        "test", root=F.TMP / "d32", download=False))[1], Err(data.DatasetCorruptError, r"32 x 32"))
    P("data.labels_truncated", lambda: (F.write_idx(F.TMP / "dlt", 3, cut_labels=2), data.load_mnist(
        "test", root=F.TMP / "dlt", download=False))[1], Err(data.DatasetCorruptError, r"truncated|bytes"))
    P("data.labels_file_is_folder", lambda: (F.write_idx(F.TMP / "dlf", 3, labels_dir=True), data.load_mnist(
        "test", root=F.TMP / "dlf", download=False))[1], Err((data.DatasetNotFoundError, data.DatasetCorruptError),
                                                             r"labels|t10k"))
    P("data.binarize_float64", lambda: data.binarize_images(X.double(), "static"),
      Ok(lambda r: r.dtype == torch.float64, or_err=Err(VE, r"float|dtype")))
    P("data.dequantize_0_255", lambda: data.dequantize(X * 255), Err(VE, r"255"))
    P("data.dequantize_gen_str", lambda: data.dequantize(X, generator="0"), Err(TE, r"generator"))
    P("data.batches_drop_last_str", lambda: list(data.batches(X, batch_size=3, drop_last="yes")),
      Err(TE, r"drop_last"))
    P("data.batches_shuffle_int", lambda: list(data.batches(X, batch_size=3, shuffle=0)), Err(TE, r"shuffle"))
    P("data.batches_numpy", lambda: list(data.batches(X.numpy())), Err(TE, r"tensor"))
    P("data.batches_int_batch_size_positional", lambda: list(data.batches(X, 4)), Err(TE, r"tensor|batch_size"))
    P("data.batches_order_repeatable", lambda: [b[0].sum().item() for b in data.batches(
        X, batch_size=3, generator=torch.Generator().manual_seed(3))] == [b[0].sum().item() for b in data.batches(
            X, batch_size=3, generator=torch.Generator().manual_seed(3))], Ok(lambda r: r is True))
    P("data.batches_bigger_than_n", lambda: [b[0].shape[0] for b in data.batches(X, batch_size=100)],
      Ok(lambda r: r == [8]))

    # --- metrics -------------------------------------------------------------------------------------
    P("met.latent_activity_one_image", lambda: metrics.latent_activity(V, X[:1]), Err(VE, r"at least 2"))
    P("met.active_units_string_model", lambda: metrics.active_units("vae-2d", X), Err(TE, r"zoo.load|model"))
    P("met.nll_ae", lambda: metrics.negative_log_likelihood(A, X, k=2), Err(TE, r"VAE|likelihood"))
    P("met.nll_batch_huge", lambda: metrics.negative_log_likelihood(V, X, k=2, batch_size=10**6),
      Ok(lambda r: math.isfinite(r) and r > 0))
    P("met.nll_seed_repeatable", lambda: metrics.negative_log_likelihood(V, X, k=4, seed=3)
      == metrics.negative_log_likelihood(V, X, k=4, seed=3), Ok(lambda r: r is True))
    P("met.nll_seed_negative", lambda: metrics.negative_log_likelihood(V, X, k=2, seed=-1), Err(VE, r"seed"))
    P("met.nll_chunk_memory", lambda: metrics.negative_log_likelihood(V, torch.rand(3000, 1, 28, 28), k=10**6,
                                                                      batch_size=3000, chunk_size=10**6),
      Err(VE, r"cap|numbers|chunk"))
    P("met.knn_codes_1d", lambda: metrics.knn_accuracy(torch.randn(60), F.LAB60, 40, 10), Err(VE, r"\[N, K\]"))
    P("met.knn_codes_int", lambda: metrics.knn_accuracy(torch.zeros(60, 2, dtype=torch.long), F.LAB60, 40, 10),
      Err(VT, r"float"))
    P("met.knn_codes_inf", lambda: metrics.knn_accuracy(F.CODES.clone().index_fill_(0, torch.tensor([3]), math.inf),
                                                        F.LAB60, 40, 10), Err(VE, r"inf"))
    P("met.knn_labels_list", lambda: metrics.knn_accuracy(F.CODES, F.LAB60.tolist(), 40, 10), Err(TE, r"labels"))
    P("met.hole_codes_int", lambda: metrics.hole_fraction(torch.zeros(5, 2, dtype=torch.long), F.CODES, F.CODES),
      Err(VT, r"float"))
    P("met.hole_codes_inf", lambda: metrics.hole_fraction(torch.full((5, 2), math.inf), F.CODES, F.CODES),
      Err(VE, r"inf"))
    P("met.hole_mask_shape", lambda: metrics.hole_mask(F.CODES[:7], F.CODES, F.CODES).shape, Ok(lambda r: r == (7,)))
    P("met.log_agg_nan", lambda: metrics.log_aggregate_posterior(F.CODES, F.CODES.clone().fill_(math.nan),
                                                                F.CODES), Err(VE, r"nan"))
    P("met.log_agg_chunk_zero", lambda: metrics.log_aggregate_posterior(F.CODES, F.CODES, F.CODES, chunk_size=0),
      Err(VE, r"chunk_size"))
    P("met.log_agg_empty_z", lambda: metrics.log_aggregate_posterior(T(0, 2), F.CODES, F.CODES).shape,
      Ok(lambda r: r == (0,)))

    # --- classifier ------------------------------------------------------------------------------------
    P("clf.predict_numpy", lambda: predict_proba(DigitClassifier(), X.numpy()), Err(TE, r"numpy|tensor"))
    P("clf.predict_none", lambda: predict_proba(None, X), Err(TE, r"DigitClassifier"))
    P("clf.predict_sums_to_one", lambda: (predict_proba(DigitClassifier(), X).sum(-1) - 1).abs().max().item(),
      Ok(lambda r: r < 1e-5))
    P("clf.forward_nan", lambda: DigitClassifier()(F.NAN), Err(VE, r"nan"))
    P("clf.train_labels_range", lambda: train_classifier(X, Y + 10, epochs=1), Err(VE, r"\[0, 10\)"))
    P("clf.train_noise_mixup_sum", lambda: train_classifier(X, Y, mixup=0.7, noise=0.5), Err(VE, r"mixup"))
    P("clf.train_lr_zero", lambda: train_classifier(X, Y, lr=0.0), Err(VE, r"\blr\b"))
    P("clf.train_n_classes_1", lambda: train_classifier(X, Y * 0, n_classes=1), Err(VE, r"n_classes"))
    P("clf.confident_vae", lambda: confident_fraction(V, X), Err(TE, r"DigitClassifier"))

    # --- checkpoints ---------------------------------------------------------------------------------
    P("ckpt.load_empty_file", lambda: checkpoints.load(F.file(b"")), Err(CE, r"corrupt|not a PyTorch"))
    P("ckpt.load_text_file", lambda: checkpoints.load(F.file(b"hello\n")), Err(CE, r"corrupt|not a PyTorch"))
    P("ckpt.load_truncated_half", lambda: checkpoints.load(F.file(F.saved()[: len(F.saved()) // 2])),
      Err(CE, r"corrupt|not a PyTorch|digest"))
    P("ckpt.load_tail_garbage", lambda: checkpoints.load(F.file(F.saved() + b"\0" * 100)).latent_dim,
      Ok(lambda r: r == 2, or_err=Err(CE, r"corrupt|digest")))
    P("ckpt.load_missing_key", lambda: checkpoints.load(F.crafted(drop_key=True)), Err(CE, r"do not match|Missing"))
    P("ckpt.load_extra_key", lambda: checkpoints.load(F.crafted(extra_key=True)), Err(CE, r"do not match|Unexpected"))
    P("ckpt.load_config_unknown_kwarg", lambda: checkpoints.load(F.crafted(config={"latent_dim": 2, "hidden": [8],
                                                                                   "depth": 3})),
      Err(CE, r"does not build|depth"))
    P("ckpt.load_config_str_latent", lambda: checkpoints.load(F.crafted(config={"latent_dim": "2", "hidden": [8]})),
      Err(CE, r"latent_dim"))
    P("ckpt.load_config_list", lambda: checkpoints.load(F.crafted(config=[2, [8]])), Err(CE, r"config"))
    P("ckpt.load_class_int", lambda: checkpoints.load(F.crafted(cls=3)), Err(CE, r"class"))
    P("ckpt.load_version_2", lambda: checkpoints.load(F.crafted(version=2)), Err(CE, r"version"))
    P("ckpt.load_int_weights", lambda: checkpoints.load(F.crafted(int_weights=True)),
      Ok(lambda m: m.latent_dim == 2, or_err=Err(CE, r"dtype|weights|int")))
    P("ckpt.load_inf_weight", lambda: checkpoints.load(F.crafted(inf_weight=True)), Err(CE, r"nan|inf"))
    P("ckpt.load_shape_huge_tensor_config_small", lambda: checkpoints.load(F.crafted(config={"latent_dim": 2,
                                                                                            "hidden": [4]})),
      Err(CE, r"do not match|size mismatch"))
    P("ckpt.load_symlink_loop", lambda: checkpoints.load(F.loop()), Err((CE, OSError), r"loop|no such|symbolic"))
    P("ckpt.load_device_gpu", lambda: checkpoints.load(F.file(F.saved()), device="gpu"), Err(VE, r"device"))
    P("ckpt.load_device_auto", lambda: checkpoints.load(F.file(F.saved()), device="auto"),
      Ok(lambda m: m.device.type == "cpu", or_err=Err(VE, r"device")))
    P("ckpt.save_trailing_slash", lambda: checkpoints.save(V, str(F.TMP / "slash-dir") + "/"),
      Err((CE, VE), r"folder|file name|cannot save"))
    P("ckpt.save_new_subfolders", lambda: checkpoints.save(V, F.TMP / f"sub{os.getpid()}" / "deeper" / "m.pt")
      .is_file(), Ok(lambda r: r is True))
    P("ckpt.save_nan_metadata", lambda: checkpoints.load(checkpoints.save(V, F.TMP / "meta.pt", loss=math.nan))
      .metadata["loss"], Ok(lambda r: math.isnan(r)))
    P("ckpt.save_metadata_tuple_key", lambda: checkpoints.save(V, F.TMP / "never2.pt", d={(1, 2): 3}),
      Err(TE, r"key"))
    P("ckpt.save_storage_int", lambda: checkpoints.save(V, F.TMP / "never3.pt", storage_dtype="float16"),
      Err(VE, r"storage_dtype"))
    P("ckpt.save_a_linear", lambda: checkpoints.save(nn.Linear(2, 2), F.TMP / "never4.pt"), Err(TE, r"vae_lib model"))
    P("ckpt.save_diverged_model", lambda: checkpoints.save(F.nan_model(), F.TMP / "never5.pt"),
      Err(CE, r"nan|inf"))
    P("ckpt.roundtrip_float16", lambda: float((checkpoints.load(checkpoints.save(V, F.TMP / "h.pt",
                                                                                 storage_dtype=torch.float16))
                                               .encoder.head[0].weight - V.encoder.head[0].weight).abs().max()),
      Ok(lambda r: r < 1e-2))
    P("ckpt.load_checkpoint_dir", lambda: checkpoints.load_checkpoint(F.TMP), Err(CE, r"folder"))

    # --- the zoo ---------------------------------------------------------------------------------------
    P("zoo.root_is_file", lambda: zoo.load("ae-2d", root=F.A_FILE), Err(CE, r"a-file|not a folder|no zoo"))
    P("zoo.env_zoo_file", lambda: (os.environ.__setitem__("VAE_LIB_ZOO", str(F.A_FILE)), zoo.load("ae-2d"))[1],
      Err(CE, r"a-file|not a folder|no zoo"))
    P("zoo.manifest_models_list", lambda: zoo.load("ae-2d", root=F.zoo_with({"models": []})),
      Err(CE, r"manifest"))
    P("zoo.manifest_entry_sha_int", lambda: zoo.load("ae-2d", root=F.zoo_with(entry={"file": "ae-2d.pt",
                                                                                     "sha256": 5})),
      Err(CE, r"sha256|entry"))
    P("zoo.manifest_entry_file_dotdot", lambda: zoo.load("ae-2d", root=F.zoo_with(entry={"file": "../ae-2d.pt",
                                                                                        "sha256": "x"})),
      Err(CE, r"file"))
    P("zoo.manifest_entry_file_dir", lambda: zoo.load("ae-2d", root=F.zoo_with(entry={"file": "sub/ae-2d.pt",
                                                                                     "sha256": "x"})),
      Err(CE, r"file"))
    P("zoo.manifest_utf16", lambda: zoo.load("ae-2d", root=F.zoo_raw("{}".encode("utf-16"))),
      Err(CE, r"manifest|JSON"))
    P("zoo.manifest_empty_file", lambda: zoo.load("ae-2d", root=F.zoo_raw(b"")), Err(CE, r"JSON|manifest"))
    P("zoo.load_device_cuda", lambda: zoo.load("ae-2d", device="cuda"), Err(VE, r"cuda|device"))
    P("zoo.load_device_none", lambda: zoo.load("ae-2d", device=None), Err(VT, r"device"))
    P("zoo.info_copy_is_independent", lambda: (zoo.info("ae-2d").__setitem__("file", "x"), zoo.info("ae-2d")["file"])[1],
      Ok(lambda r: r == "ae-2d.pt"))
    P("zoo.build_epochs_float", lambda: zoo.build(["ae-2d"], out_dir=F.TMP / "zb", epochs_override=1.5),
      Err(TE, r"epochs"))
    P("zoo.build_limit_zero", lambda: zoo.build(["ae-2d"], out_dir=F.TMP / "zb2", limit=0), Err(VE, r"limit"))
    P("zoo.build_unknown_name", lambda: zoo.build(["vae-3d"], out_dir=F.TMP / "zb3"), Err(KeyError, r"known models"))
    P("zoo.build_device_none", lambda: zoo.build(["ae-2d"], out_dir=F.TMP / "zb4", device=None), Err(VT, r"device"))
    P("zoo.select_none_all", lambda: zoo.select(None) == zoo.names(), Ok(lambda r: r is True))
    P("zoo.select_bytes", lambda: zoo.select(b"ae-2d"), Err(TE, r"list|names|str|bytes"))
    P("zoo.cli_list_root_file", lambda: F.cli(["list", "--root", str(F.A_FILE)]), Ok(lambda r: r[0] == 1 and
                                                                                   F.one_line(r[1])))
    P("zoo.cli_build_threads_text", lambda: F.cli(["build", "ae-2d", "--threads", "two"]),
      Ok(lambda r: r[0] == 2 and "Traceback" not in r[1]))
    P("zoo.cli_build_limit_zero", lambda: F.cli(["build", "ae-2d", "--limit", "0", "--out", str(F.TMP / "zc")]),
      Ok(lambda r: r[0] == 1 and F.one_line(r[1])))
    P("zoo.cli_build_out_file", lambda: F.cli(["build", "ae-2d", "--out", str(F.A_FILE), "--epochs", "1"]),
      Ok(lambda r: r[0] == 1 and F.one_line(r[1])))
    P("zoo.cli_build_device_cuda9", lambda: F.cli(["build", "ae-2d", "--device", "cuda:9", "--out",
                                                   str(F.TMP / "zd"), "--epochs", "1", "--limit", "10"]),
      Ok(lambda r: r[0] == 1 and F.one_line(r[1])))
    P("zoo.cli_unknown_command", lambda: F.cli(["train"]), Ok(lambda r: r[0] == 2 and "Traceback" not in r[1]))

    # --- plots ---------------------------------------------------------------------------------------
    P("plot.grid_3d_images", lambda: plots.image_grid(X[:, 0]) is not None, Ok(lambda r: r is True))
    P("plot.grid_float64_images", lambda: plots.image_grid(X.double()) is not None, Ok(lambda r: r is True))
    P("plot.grid_uint8", lambda: plots.image_grid((X * 255).to(torch.uint8)), Err(VE, r"255|float"))
    P("plot.grid_ax_wrong", lambda: plots.image_grid(X, ax="left"), Err(TE, r"\bax\b"))
    P("plot.grid_nrow_bigger", lambda: plots.image_grid(X, nrow=100) is not None, Ok(lambda r: r is True))
    P("plot.grid_single_image_3d", lambda: plots.image_grid(X[0]) is not None,
      Ok(lambda r: r is True, or_err=Err(VE, r"batch|\[N")))
    P("plot.grid_huge", lambda: plots.image_grid(torch.zeros(1, 1, 1, 1).expand(1, 1, 100_000, 100_000)),
      Err(VE, r"cap|numbers"))
    P("plot.show_images_rows_tensor", lambda: plots.show_images(X, ["a"]), Err(TE, r"rows"))
    P("plot.show_images_titles_str", lambda: plots.show_images([X], "abc"), Err(VE, r"row_titles"))
    P("plot.show_images_row_nan", lambda: plots.show_images([X, F.NAN], ["a", "b"]), Err(VE, r"nan"))
    P("plot.show_images_uneven_rows", lambda: plots.show_images([X, X[:3]], ["a", "b"]) is not None,
      Ok(lambda r: r is True))
    P("plot.scatter_1d", lambda: plots.latent_scatter(torch.randn(5)), Err(VE, r"\[N, 2\]"))
    P("plot.scatter_3d_codes", lambda: plots.latent_scatter(torch.randn(5, 3)) is not None, Ok(lambda r: r is True))
    P("plot.scatter_nan_codes", lambda: plots.latent_scatter(torch.full((5, 2), math.nan)), Err(VE, r"nan"))
    P("plot.scatter_s_negative", lambda: plots.latent_scatter(F.CODES, s=-1.0), Err(VE, r"\bs\b"))
    P("plot.scatter_alpha_2", lambda: plots.latent_scatter(F.CODES, alpha=2.0), Err(VE, r"alpha"))
    P("plot.scatter_labels_float", lambda: plots.latent_scatter(F.CODES, F.LAB60.float()), Err(VE, r"label"))
    P("plot.scatter_class_names_str", lambda: plots.latent_scatter(F.CODES, F.LAB60, class_names="0123456789"),
      Err(TE, r"class_names"))
    P("plot.latent_grid_extent_reversed", lambda: plots.latent_grid(V, (3, -3, -3, 3)), Err(VE, r"extent"))
    P("plot.latent_grid_extent_nan", lambda: plots.latent_grid(V, (math.nan, 3, -3, 3)), Err(VE, r"extent"))
    P("plot.latent_grid_k3", lambda: plots.latent_grid(models.VAE(3, (8,))), Err(VE, r"2-D|latent_dim"))
    P("plot.latent_grid_ae", lambda: plots.latent_grid(A, n=3) is not None, Ok(lambda r: r is True))
    P("plot.latent_grid_linear", lambda: plots.latent_grid(nn.Linear(2, 2)), Err(TE, r"model|decode"))
    P("plot.history_from_fit", lambda: plots.plot_history(train.fit(models.VAE(2, (8,)), X, epochs=1, progress=False,
                                                                    device="cpu")) is not None, Ok(lambda r: r is True))
    P("plot.history_dict", lambda: plots.plot_history({"epoch": [1]}), Err(TE, r"history"))
    P("plot.history_list_of_numbers", lambda: plots.plot_history([1, 2]), Err(VT, r"history"))

    # --- the explorers -------------------------------------------------------------------------------
    P("wid.latent_scale_zero", lambda: w().LatentExplorer(V, dataset=(X, Y), scale=0), Err(VE, r"scale"))
    P("wid.latent_scale_float", lambda: w().LatentExplorer(V, dataset=(X, Y), scale=2.5), Err(TE, r"scale"))
    P("wid.latent_scale_65", lambda: w().LatentExplorer(V, dataset=(X, Y), scale=65), Err(VE, r"scale"))
    P("wid.latent_n_points_huge", lambda: w().LatentExplorer(V, dataset=(X, Y), n_points=10**9).bounds,
      Ok(lambda r: len(r) == 2))
    P("wid.latent_class_not_instance", lambda: w().LatentExplorer(models.VAE, dataset=(X, Y)),
      Err(TE, r"instantiate|model"))
    P("wid.latent_dataset_0_255", lambda: w().LatentExplorer(V, dataset=(X * 255, Y)), Err(VE, r"255"))
    P("wid.latent_dataset_labels_short", lambda: w().LatentExplorer(V, dataset=(X, Y[:3])), Err(VE, r"label"))
    P("wid.latent_dataset_triple", lambda: w().LatentExplorer(V, dataset=(X, Y, Y)), Err(TE, r"dataset"))
    P("wid.latent_scatter_str", lambda: w().LatentExplorer(V, dataset=(X, Y), scatter="no"), Err(TE, r"scatter"))
    P("wid.latent_set_z_nan_clamped", lambda: w().LatentExplorer(V, dataset=(X, Y)).set_z([math.nan, 1.0]).tolist(),
      Ok(lambda r: r == [0.0, 1.0]))
    P("wid.latent_set_z_wrong_len", lambda: w().LatentExplorer(V, dataset=(X, Y)).set_z([0.0]), Err(VE, r"2"))
    P("wid.latent_set_z_numpy", lambda: w().LatentExplorer(V, dataset=(X, Y)).set_z(np.array([0.5, 0.5])).tolist(),
      Ok(lambda r: r == [0.5, 0.5]))
    P("wid.latent_set_z_dict", lambda: w().LatentExplorer(V, dataset=(X, Y)).set_z({"z1": 0.5}), Err(TE, r"\bz\b"))
    P("wid.latent_click_without_scatter", lambda: w().LatentExplorer(models.VAE(3, (8,))).click_at(1, 1),
      Err(VE, r"scatter"))
    P("wid.latent_click_nan", lambda: w().LatentExplorer(V, dataset=(X, Y)).click_at(math.nan, 3),
      Err(VE, r"px|finite"))
    P("wid.interp_index_out", lambda: w().InterpolationExplorer([V], dataset=(X, Y), index_a=99),
      Err(VE, r"index_a"))
    P("wid.interp_index_float", lambda: w().InterpolationExplorer([V], dataset=(X, Y), index_b=1.0),
      Err(TE, r"index_b"))
    P("wid.interp_alpha_nan", lambda: w().InterpolationExplorer([V], dataset=(X, Y), alpha=math.nan),
      Err(VE, r"alpha"))
    P("wid.interp_steps_huge", lambda: w().InterpolationExplorer([V], dataset=(X, Y), steps=10**7),
      Err(VE, r"steps"))
    P("wid.interp_models_empty", lambda: w().InterpolationExplorer([], dataset=(X, Y)), Err(VE, r"at least one"))
    P("wid.interp_models_str", lambda: w().InterpolationExplorer("vae-2d", dataset=(X, Y)), Err(TE, r"models"))
    P("wid.interp_cvae", lambda: w().InterpolationExplorer([C], dataset=(X, Y)), Err(TE, r"unconditional|label"))
    P("wid.beta_one_model", lambda: w().BetaExplorer({1.0: V}, dataset=(X, Y), metrics={1.0: (1.0, 2.0)}).betas,
      Ok(lambda r: r == [1.0]))
    P("wid.beta_key_str", lambda: w().BetaExplorer({"1": V, 2.0: V}, dataset=(X, Y)),
      Err(TE, r"beta|key"))
    P("wid.beta_ae_model", lambda: w().BetaExplorer({1.0: A, 2.0: V}, dataset=(X, Y)), Err(TE, r"VAE"))
    P("wid.beta_metrics_triple", lambda: w().BetaExplorer({1.0: V}, dataset=(X, Y), metrics={1.0: (1, 2, 3)}),
      Err(VE, r"metrics"))
    P("wid.beta_scale_huge", lambda: w().BetaExplorer({1.0: V}, dataset=(X, Y), scale=10**5), Err(VE, r"scale"))
    P("wid.beta_n_samples_huge", lambda: w().BetaExplorer({1.0: V}, dataset=(X, Y), n_samples=10**8),
      Err(VE, r"n_samples"))
    P("wid.beta_precompute_str", lambda: w().BetaExplorer({1.0: V}, dataset=(X, Y), precompute="no"),
      Err(TE, r"precompute"))
    P("wid.kl_n_mc_huge", lambda: w().KLExplorer(n_mc=10**10), Err(VE, r"n_mc"))
    P("wid.kl_seed_negative", lambda: w().KLExplorer(seed=-1), Err(VE, r"seed"))
    P("wid.kl_mu_inf", lambda: w().KLExplorer(mu_q=math.inf), Err(VE, r"mu_q"))
    P("wid.elbo_gap_toy_wrong", lambda: w().ELBOGapExplorer(F.LG), Err(TE, r"NonlinearToy1D"))
    P("wid.elbo_gap_fit_steps_zero", lambda: w().ELBOGapExplorer().fit(steps=0), Err(VE, r"steps"))
    P("wid.render_png_nan", lambda: w().render_png(torch.full((28, 28), math.nan)), Err(VE, r"nan"))
    P("wid.render_png_numpy", lambda: w().render_png(np.zeros((28, 28))), Err(TE, r"tensor"))
    P("wid.render_png_scale_huge", lambda: w().render_png(T(28, 28), scale=10**5), Err(VE, r"scale"))
    P("wid.render_png_nrow_zero", lambda: w().render_png(T(4, 1, 28, 28), nrow=0), Err(VE, r"nrow"))
    P("wid.render_png_rgb", lambda: w().render_png(T(3, 28, 28)), Err(VE, r"\[H, W\]"))
    P("wid.inpage_conv_model", lambda: w().InPageLatentExplorer(models.VAE(2, (8,), arch="conv")),
      Err(Exception, r"conv|LatentExplorer"))
    P("wid.inpage_set_label_vae", lambda: w().InPageLatentExplorer(V, dataset=(X, Y)).set_label(1),
      Err(VE, r"no label"))
    P("wid.inpage_set_label_range", lambda: w().InPageLatentExplorer(C, dataset=(X, Y)).set_label(10),
      Err(VE, r"label"))
    P("wid.inpage_set_label_float", lambda: w().InPageLatentExplorer(C, dataset=(X, Y)).set_label(3.7),
      Err(TE, r"label"))
    P("wid.inpage_scale_huge", lambda: w().InPageLatentExplorer(V, dataset=(X, Y), scale=10**4), Err(VE, r"scale"))
    P("wid.draw_ae", lambda: w().DrawDigitExplorer(A, dataset=(X, Y)), Err(Exception, r"VAE"))
    P("wid.draw_scale_huge", lambda: w().DrawDigitExplorer(models.VAE(2, (8,)), dataset=(X, Y), scale=10**4),
      Err(VE, r"scale"))
    P("wid.draw_terms_nothing", lambda: w().DrawDigitExplorer(models.VAE(2, (8,)), dataset=(X, Y)).terms(),
      Err(VE, r"nothing drawn"))
    P("wid.draw_terms_0_255", lambda: w().DrawDigitExplorer(models.VAE(2, (8,)), dataset=(X, Y)).terms(X[:1] * 255),
      Err(VE, r"255"))
    P("wid.preprocess_3d", lambda: w().mnist_preprocess(np.zeros((4, 4, 3))), Err(VE, r"\[H, W\]"))
    P("wid.preprocess_empty", lambda: float(w().mnist_preprocess(np.zeros((10, 10))).sum()), Ok(lambda r: r == 0.0))
    P("wid.preprocess_huge", lambda: w().mnist_preprocess(np.broadcast_to(np.zeros((1, 1)), (10**5, 10**5))),
      Err((VE, MemoryError), r"cap|numbers|ink"))
    P("wid.preprocess_tensor", lambda: w().mnist_preprocess(torch.zeros(30, 30)).shape, Ok(lambda r: r == (28, 28)))
    P("wid.latent_explorer_fn_in_page_int", lambda: w().latent_explorer(V, in_page=1, dataset=(X, Y)),
      Err(TE, r"in_page"))
    P("wid.explorer_panel_tabs_empty", lambda: __import__("vae_lib.lecture").lecture.build_app(tabs=()),
      Err(TE, r"tabs"))

    # --- small helpers ---------------------------------------------------------------------------------
    P("misc.show_source_int", lambda: __import__("vae_lib.notebook").notebook.show_source(3), Err(TE, r"function"))
    P("misc.tr_none", lambda: __import__("vae_lib.i18n").i18n.tr(None), Ok(lambda r: r is None,
                                                                           or_err=Err(TE, r"text|str")))
    P("misc.validate_count_numpy", lambda: __import__("vae_lib.validate").validate.count(np.int16(4), "n"),
      Ok(lambda r: r == 4))
    P("misc.validate_choice_unhashable", lambda: __import__("vae_lib.validate").validate.choice([1], "x", ("a",)),
      Err(VE, r"\bx\b"))
    P("misc.validate_number_fraction", lambda: __import__("vae_lib.validate").validate.number(
        __import__("fractions").Fraction(1, 4), "x"), Ok(lambda r: r == 0.25))
    P("misc.validate_images_none_name", lambda: __import__("vae_lib.validate").validate.images(None, name="pics"),
      Err(TE, r"pics"))


# ------------------------------------------------------------------------------------------- fixtures
class Fixtures:
    """Small models and tensors, made once in the parent (the children share them copy-on-write)."""

    def __init__(self, tmp: Path) -> None:
        import torch

        from vae_lib import models, toy
        from vae_lib.aae import AdversarialAutoencoder

        torch.manual_seed(0)
        self.TMP = tmp
        self.X = torch.bernoulli(torch.rand(8, 1, 28, 28), generator=torch.Generator().manual_seed(1))
        self.Y = torch.arange(8) % 10
        self.V = models.VAE(2, hidden=(16,)).eval()
        self.A = models.Autoencoder(2, hidden=(16,)).eval()
        self.C = models.ConditionalVAE(2, hidden=(16,)).eval()
        self.AAE = AdversarialAutoencoder(2, hidden=(16,)).eval()
        self.NAN = self.X.clone()
        self.NAN[3, 0, 5, 5] = float("nan")
        self.CODES = torch.randn(60, 2, generator=torch.Generator().manual_seed(0))
        self.LAB60 = torch.arange(60) % 10
        self.LG = toy.LinearGaussian(torch.randn(5, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64))
        self.NL = toy.NonlinearToy1D()
        self.A_FILE = tmp / "a-file"
        self.A_FILE.write_text("not a folder")
        self._saved: bytes | None = None
        self._n = 0

    def _path(self, suffix: str = ".pt") -> Path:
        self._n += 1
        return self.TMP / f"f{os.getpid()}-{self._n}{suffix}"

    def file(self, data: bytes) -> Path:
        p = self._path()
        p.write_bytes(data)
        return p

    def saved(self) -> bytes:
        if self._saved is None:
            from vae_lib import checkpoints

            self._saved = checkpoints.save(self.V, self._path()).read_bytes()
        return self._saved

    def crafted(self, *, config=None, cls="VAE", version=1, drop_key=False, extra_key=False, int_weights=False,
                inf_weight=False) -> Path:
        """A checkpoint written by hand (no digest), with one thing changed."""
        import torch

        state = {k: v.clone() for k, v in self.V.state_dict().items()}
        first = next(iter(state))
        if drop_key:
            state.pop(first)
        if extra_key:
            state["extra.weight"] = torch.zeros(3)
        if int_weights:
            state = {k: v.round().to(torch.int64) for k, v in state.items()}
        if inf_weight:
            state[first][0, 0] = float("inf")
        p = self._path()
        torch.save({"format": "vae_lib.checkpoint", "version": version, "class": cls,
                    "config": self.V.config if config is None else config, "state_dict": state, "metadata": {}}, p)
        return p

    def nan_model(self):
        import torch

        from vae_lib import models

        m = models.VAE(2, hidden=(8,))
        with torch.no_grad():
            next(m.parameters())[0, 0] = float("nan")
        return m

    def loop(self) -> Path:
        a, b = self._path(), self._path()
        os.symlink(b, a)
        os.symlink(a, b)
        return a

    def zoo_with(self, data: dict | None = None, entry: dict | None = None) -> Path:
        root = self._path("")
        root.mkdir()
        manifest = {"format": "vae_lib.zoo", "version": 2, "models": {}}
        if data:
            manifest.update(data)
        if entry:
            manifest["models"]["ae-2d"] = entry
        (root / "manifest.json").write_text(json.dumps(manifest))
        return root

    def zoo_raw(self, raw: bytes) -> Path:
        root = self._path("")
        root.mkdir()
        (root / "manifest.json").write_bytes(raw)
        return root

    def write_idx(self, root: Path, n: int, *, rows: int = 28, cut_labels: int = 0, labels_dir: bool = False) -> None:
        raw = root / "MNIST" / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        head = b"".join(v.to_bytes(4, "big") for v in (0x803, n, rows, rows))
        (raw / "t10k-images-idx3-ubyte").write_bytes(head + bytes(n * rows * rows))
        labels = (0x801).to_bytes(4, "big") + n.to_bytes(4, "big") + bytes(n)
        if labels_dir:
            (raw / "t10k-labels-idx1-ubyte").mkdir()
        else:
            (raw / "t10k-labels-idx1-ubyte").write_bytes(labels[:len(labels) - cut_labels])

    def cli(self, argv: list[str]) -> tuple[int, str]:
        """Run ``python -m vae_lib.zoo`` in this process: ``(exit status, stderr)``."""
        import contextlib
        import io

        from vae_lib.zoo import main

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(argv)
            except SystemExit as exc:   # argparse
                code = exc.code
        return code, err.getvalue()

    @staticmethod
    def one_line(text: str) -> bool:
        return text.count("\n") == 1 and text.startswith("error: ") and "Traceback" not in text


# ------------------------------------------------------------------------------------------- running
def _guard(checkout: Path) -> None:
    """An audit hook: no network, no subprocesses, no writes into the checkout."""
    root = str(checkout)

    def hook(event: str, args: tuple) -> None:
        if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
            raise OSError(f"network blocked by the probe campaign ({event})")
        if event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork", "os.spawn"):
            raise OSError(f"spawning blocked by the probe campaign ({event})")
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            mode, flags = (args[1] if len(args) > 1 else "r") or "r", args[2] if len(args) > 2 else 0
            writes = any(c in str(mode) for c in "wax+") or (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR))
            if writes:
                p = os.path.realpath(os.fsdecode(args[0]))
                if p == root or p.startswith(root + os.sep):
                    raise PermissionError(f"writing into the checkout blocked by the probe campaign: {p}")
        if event in ("os.rename", "os.replace", "os.remove", "os.mkdir", "os.rmdir", "os.symlink", "shutil.rmtree"):
            for a in args[:2]:
                if isinstance(a, (str, bytes, os.PathLike)):
                    p = os.path.realpath(os.fsdecode(a))
                    if p == root or p.startswith(root + os.sep):
                        raise PermissionError(f"changing the checkout blocked by the probe campaign: {p}")

    sys.addaudithook(hook)


def _classify(expect, result=None, exc: BaseException | None = None) -> tuple[int, str]:
    if exc is not None:
        text = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, MemoryError) or OOM.search(str(exc)):
            return 4, text
        err = expect if isinstance(expect, Err) else expect.or_err
        if err is not None and isinstance(exc, err.types) and re.search(err.regex, str(exc), re.IGNORECASE | re.DOTALL):
            return 1, text
        return 3, text
    if isinstance(expect, Err):
        return 5, f"returned {result!r:.200} instead of raising"
    try:
        ok = bool(expect.check(result))
    except Exception as e:  # noqa: BLE001
        return 5, f"the check raised {type(e).__name__}: {e} on {result!r:.120}"
    return (2, f"{result!r:.200}") if ok else (5, f"wrong result {result!r:.200}")


def _child(i: int, name: str, call, expect, fd: int, mem_gb: float) -> None:
    import warnings

    warnings.simplefilter("ignore")
    limit = int(mem_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _guard(CHECKOUT)
    try:
        out = _classify(expect, result=call())
    except BaseException as exc:  # noqa: BLE001 - every outcome is recorded
        out = _classify(expect, exc=exc)
        if isinstance(exc, (KeyboardInterrupt,)):
            out = (3, repr(exc))
    payload = json.dumps({"i": i, "name": name, "cls": out[0], "detail": out[1][:600]}).encode()
    os.write(fd, payload)
    os.close(fd)
    os._exit(0)


def run(probes, timeout: float, mem_gb: float, verbose: bool) -> list[dict]:
    results = []
    for i, (name, call, expect) in enumerate(probes):
        r, wfd = os.pipe()
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            _child(i, name, call, expect, wfd, mem_gb)
        os.close(wfd)
        chunks: list[bytes] = []
        os.set_blocking(r, False)
        status = None
        while True:
            try:
                while True:
                    b = os.read(r, 65536)
                    if not b:
                        break
                    chunks.append(b)
            except BlockingIOError:
                pass
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                try:
                    while b := os.read(r, 65536):
                        chunks.append(b)
                except BlockingIOError:
                    pass
                break
            if time.monotonic() - t0 > timeout:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status = "timeout"
                break
            time.sleep(0.005)
        os.close(r)
        secs = time.monotonic() - t0
        if status == "timeout":
            row = {"i": i, "name": name, "cls": 6, "detail": f"still running after {timeout:g} s"}
        elif chunks:
            row = json.loads(b"".join(chunks))
        else:
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            row = {"i": i, "name": name, "cls": 4, "detail": f"died (signal {sig}, status {status})"}
        row["seconds"] = round(secs, 2)
        results.append(row)
        if verbose:
            print(f"{row['cls']} {CLASSES[row['cls']]:14s} {name:45s} {row['detail'][:150]}", flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", type=Path, default=None, help="a folder holding another vae_lib (put first on sys.path)")
    ap.add_argument("--out", type=Path, required=True, help="the results, JSON (a summary .md is written beside it)")
    ap.add_argument("--only", default="*", help="a glob over probe names")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per probe")
    ap.add_argument("--mem-gb", type=float, default=6.0, help="address-space cap of each probe's process")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.lib is not None:
        sys.path.insert(0, str(args.lib.resolve()))
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ["MPLBACKEND"] = "Agg"
    import torch

    torch.set_num_threads(1)
    import vae_lib

    print(f"vae_lib from {Path(vae_lib.__file__).parent}; zoo {os.environ.get('VAE_LIB_ZOO', '(package)')}; "
          f"data {os.environ.get('VAE_LIB_DATA', '(default)')}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="vae-probes-"))

    fx = Fixtures(tmp)
    define(fx)
    chosen = [p for p in PROBES if fnmatch.fnmatchcase(p[0], args.only)]
    names = [p[0] for p in PROBES]
    dup = [n for n, c in Counter(names).items() if c > 1]
    assert not dup, f"duplicate probe names: {dup}"
    t0 = time.monotonic()
    results = run(chosen, args.timeout, args.mem_gb, args.verbose)
    counts = Counter(r["cls"] for r in results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"lib": str(Path(vae_lib.__file__).parent), "seconds": round(time.monotonic() - t0),
                                    "counts": {CLASSES[k]: counts.get(k, 0) for k in CLASSES},
                                    "results": results}, indent=1))
    lines = [f"# probe campaign: {len(results)} probes, vae_lib from {Path(vae_lib.__file__).parent}",
             "", "| class | count |", "|---|---:|"]
    lines += [f"| ({k}) {CLASSES[k]} | {counts.get(k, 0)} |" for k in CLASSES]
    lines += ["", "## not clear or correct", ""]
    lines += [f"- **{CLASSES[r['cls']]}** `{r['name']}`: {r['detail'][:300]}" for r in results if r["cls"] > 2]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:12]))


if __name__ == "__main__":
    main()
