"""Every case of classes 3-6 of the bad-input review (/work/shared/reviews/probes.md, 598 probes): each ends in a
clear error or a correct result. The review's probe name is each case's id.

One case per line in ``CASES``: ``(review probe, the call, the exception, a regex its message matches)``; the
cases that must give a *correct result* (not an error) are the tests below the table, one per case.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import shutil
import stat
import tempfile

import numpy as np
import pytest
import torch
from torch import nn

from vae_lib import checkpoints, validate, zoo
from vae_lib.aae import AdversarialAutoencoder
from vae_lib.checkpoints import CheckpointError
from vae_lib.classifier import DigitClassifier, predict_proba, train_classifier
from vae_lib.data import DatasetCorruptError, batches, binarize_images, load_mnist
from vae_lib.losses import (
    bernoulli_log_likelihood,
    elbo,
    gaussian_log_likelihood,
    kl_normal,
    kl_std_normal,
    reparameterize,
)
from vae_lib.metrics import active_units, hole_fraction, knn_accuracy, log_aggregate_posterior, negative_log_likelihood
from vae_lib.models import VAE, Autoencoder, ConditionalVAE
from vae_lib.plots import image_grid, latent_grid, latent_scatter, plot_history, show_images
from vae_lib.toy import LinearGaussian, NonlinearToy1D
from vae_lib.train import History, evaluate, fit, kl_weight, train_step

X = torch.bernoulli(torch.rand(8, 1, 28, 28), generator=torch.Generator().manual_seed(1))
Y = torch.arange(8) % 10
V = VAE(2, hidden=(16,)).eval()
A = Autoencoder(2, hidden=(16,)).eval()
C = ConditionalVAE(2, hidden=(16,)).eval()
NAN = X.clone()
NAN[3, 0, 5, 5] = float("nan")
INF = X.clone()
INF[2, 0, 1, 1] = float("inf")
Z = torch.zeros(8, 2)
Z_NAN = torch.tensor([[0.0, float("nan")], [1.0, 1.0]])
Z_INF = torch.tensor([[0.0, float("inf")], [1.0, 1.0]])
ABOVE_1 = X.clone()
ABOVE_1[0, 0, 0, 0] = 1.0000001
MU, LV = torch.zeros(3, 2), torch.zeros(3, 2)
CODES = torch.randn(60, 2, generator=torch.Generator().manual_seed(0))
NAN_CODES = CODES.clone()
NAN_CODES[5, 1] = float("nan")
NEVER = pathlib.Path(tempfile.mkdtemp(prefix="vae-lib-edges-")) / "never.pt"   # must never be written
TMP = pathlib.Path(tempfile.mkdtemp(prefix="vae-lib-edges-tmp-"))
EXISTING_DIR = TMP / "a-folder"
EXISTING_DIR.mkdir()
A_FILE = TMP / "a-file"
A_FILE.write_text("not a folder")
ROW = {"epoch": 1, "train_elbo": -1.0, "train_rec": -1.0, "train_kl": 0.0, "test_elbo": math.nan,
       "test_rec": math.nan, "test_kl": math.nan, "seconds": 0.1}


def _fit(model, images, **kw):
    return fit(model, images, **{"epochs": 1, "progress": False, "device": "cpu", **kw})


def _explorer(**kw):
    from vae_lib.widgets import LatentExplorer

    return LatentExplorer(V, dataset=(X, Y), **kw)


def _inpage():
    from vae_lib.widgets import InPageLatentExplorer

    return InPageLatentExplorer(ConditionalVAE(2, hidden=(8,)), dataset=(X, Y))


def _draw():
    from vae_lib.widgets import DrawDigitExplorer

    return DrawDigitExplorer(VAE(2, hidden=(8,)), dataset=(X, Y))


def _preprocess(ink):
    from vae_lib.widgets import mnist_preprocess

    return mnist_preprocess(ink)


def _opt():
    return torch.optim.Adam(V.parameters())


CASES = [
    # ------------------------------------------------------------ class 4: a crash (the OOM killer)
    ("widget.latent_scale_huge", lambda: _explorer(scale=10**6), ValueError, r"scale must be at most 64 \(the cap"),
    # ------------------------------------------------------------ class 5: silently wrong
    ("call.encode_nan", lambda: V.encode(NAN), ValueError, r"NaN or infinite pixels \(1 of 8"),
    ("call.ae_encode_nan", lambda: A.encode(NAN), ValueError, r"NaN or infinite pixels"),
    ("call.encode_inf", lambda: V.encode(INF), ValueError, r"NaN or infinite pixels"),
    ("call.encode_0_255", lambda: V.encode(X * 255), ValueError, r"0 to 255.*divide by 255"),
    ("call.forward_0_255", lambda: V(X * 255), ValueError, r"divide by 255"),
    ("call.log_likelihood_0_255", lambda: V.log_likelihood(X * 255, Z), ValueError, r"divide by 255"),
    ("call.terms_0_255", lambda: V.terms(X * 255), ValueError, r"divide by 255"),
    ("call.terms_beta_negative", lambda: V.terms(X, beta=-5), ValueError, r"beta must be a finite number >= 0"),
    ("call.decode_nan", lambda: V.decode(Z_NAN), ValueError, r"z holds NaN or infinite values \(1 of 2 codes\)"),
    ("call.decode_inf", lambda: V.decode(Z_INF), ValueError, r"NaN or infinite"),
    ("loss.kl_std_broadcast_batch", lambda: kl_std_normal(torch.zeros(3, 2), torch.zeros(2)), ValueError,
     r"same shape.*got \[3, 2\] and \[2\].*expand_as"),
    ("loss.kl_std_shape_outer", lambda: kl_std_normal(torch.zeros(3, 1), torch.zeros(1, 3)), ValueError, r"same shape"),
    ("loss.reparam_broadcast", lambda: reparameterize(torch.zeros(3, 2), torch.zeros(2)), ValueError,
     r"reparameterize: mu and logvar must have the same shape"),
    ("loss.reparam_k0", lambda: reparameterize(MU, LV, 0), ValueError, r"n_samples .* must be an integer >= 1"),
    ("loss.kl_std_log_of_negative_variance", lambda: kl_std_normal(MU, torch.log(torch.full((3, 2), -1.0))),
     ValueError, r"logvar holds NaN"),
    ("loss.kl_std_nan_mu", lambda: kl_std_normal(MU + float("nan"), LV), ValueError, r"mu holds NaN"),
    ("loss.gaussian_ll_logvar_nan", lambda: gaussian_log_likelihood(X, X, float("nan")), ValueError,
     r"logvar \(log s\^2\) must be a finite number"),
    ("loss.nonlinear_toy_s_nan", lambda: NonlinearToy1D(s=float("nan")), ValueError, r"s .* must be a finite number"),
    ("loss.bernoulli_ll_0_255", lambda: bernoulli_log_likelihood(X * 255, torch.zeros(8, 1, 28, 28)), ValueError,
     r"targets x must lie in \[0, 1\].*divide by 255"),
    ("model.std_tiny", lambda: VAE(2, likelihood="gaussian", decoder_std=1e-30), ValueError, r"decoder_std.*>= 0.001"),
    ("fit.kl_weight_negative_step", lambda: kl_weight(-5, beta=1.0, warmup_steps=10), ValueError,
     r"step must be an integer >= 0"),
    ("fit.kl_weight_beta_negative", lambda: kl_weight(1, beta=-2.0, warmup_steps=10), ValueError,
     r"beta must be a finite number >= 0"),
    ("data.download_str_no", lambda: load_mnist("test", download="no"), TypeError, r"download must be True or False"),
    ("widget.latent_explorer_in_page_str", lambda: __import__("vae_lib.widgets").widgets.latent_explorer(
        V, in_page="no"), TypeError, r"in_page must be True or False"),
    ("zoo.names_unknown_group", lambda: zoo.names("beta-2D"), ValueError, r"group must be one of .*'beta-2d'"),
    ("metrics.knn_nan_codes", lambda: knn_accuracy(NAN_CODES, torch.arange(60) % 10, 40, 10), ValueError,
     r"z holds NaN"),
    ("metrics.hole_nan_codes", lambda: hole_fraction(NAN_CODES, CODES, CODES), ValueError, r"samples holds NaN"),
    ("plots.grid_0_255", lambda: image_grid(X * 255), ValueError, r"divide by 255"),
    ("plots.grid_channels_last", lambda: image_grid(X.permute(0, 2, 3, 1)), ValueError, r"channels last.*permute"),
    ("plots.grid_rgb", lambda: image_grid(X.expand(-1, 3, -1, -1)), ValueError, r"colour images.*mean\(1"),
    ("plots.grid_flat", lambda: image_grid(X.view(8, 784)), ValueError, r"reshape: x.view\(-1, 1, 28, 28\)"),
    ("plots.grid_nan", lambda: image_grid(NAN), ValueError, r"NaN or infinite pixels"),
    ("plots.show_images_titles_short", lambda: show_images([X, X], ["input"]), ValueError,
     r"row_titles must be a list of 2 titles"),
    # ------------------------------------------------------------ class 3: unclear errors, now clear
    ("data.seed_str", lambda: load_mnist("test", seed="0", download=False), TypeError, r"without quotes: seed=0"),
    ("data.seed_float", lambda: load_mnist("test", seed=1.5, download=False), TypeError, r"seed must be an integer"),
    ("data.seed_none", lambda: load_mnist("test", seed=None, download=False), TypeError, r"seed must be an integer"),
    ("data.seed_huge", lambda: load_mnist("test", seed=2**70, download=False), ValueError, r"0 to 2\*\*63 - 1"),
    ("fit.seed_str", lambda: _fit(VAE(2, (8,)), X, seed="0"), TypeError, r"seed must be an integer"),
    ("fit.seed_float", lambda: _fit(VAE(2, (8,)), X, seed=1.5), TypeError, r"seed must be an integer"),
    ("fit.seed_none", lambda: _fit(VAE(2, (8,)), X, seed=None), TypeError, r"seed must be an integer"),
    ("fit.seed_huge", lambda: _fit(VAE(2, (8,)), X, seed=2**70), ValueError, r"seed must be an integer from 0"),
    ("fit.evaluate_seed_str", lambda: evaluate(V, X, seed="0"), TypeError, r"seed must be an integer"),
    ("metrics.nll_seed_str", lambda: negative_log_likelihood(V, X, k=2, seed="0"), TypeError, r"seed must be"),
    ("clf.train_seed_str", lambda: train_classifier(X, Y, seed="0"), TypeError, r"seed must be an integer"),
    ("call.encode_float64", lambda: V.encode(X.double()), ValueError, r"dtype torch.float32.*got dtype torch.float64"
                                                                      r".*convert with x.float\(\)"),
    ("call.forward_float64", lambda: V(X.double()), ValueError, r"convert with x.float\(\)"),
    ("call.decode_float64", lambda: V.decode(Z.double()), ValueError, r"float latent codes of dtype torch.float32"),
    ("call.classifier_float64", lambda: DigitClassifier()(X.double()), ValueError, r"convert with x.float\(\)"),
    ("loss.elbo_float64", lambda: elbo(V, X.double()), ValueError, r"convert with x.float\(\)"),
    ("fit.images_float64", lambda: _fit(VAE(2, (8,)), X.double()), ValueError, r"convert with x.float\(\)"),
    ("fit.evaluate_float64", lambda: evaluate(V, X.double()), ValueError, r"convert with x.float\(\)"),
    ("call.encode_bool", lambda: V.encode(X.bool()), ValueError, r"x.float\(\) \(they are binary"),
    ("call.encode_int64_binary", lambda: V.encode(X.long()), ValueError, r"x.float\(\) \(they hold 0 and 1 only"),
    ("call.elbo_slightly_above_1", lambda: elbo(V, ABOVE_1), ValueError, r"rounding only: clamp them"),
    ("call.decode_numpy", lambda: V.decode(np.zeros((60, 2))), TypeError, r"numpy.ndarray of shape \[60, 2\]"),
    ("metrics.knn_numpy", lambda: knn_accuracy(CODES.numpy(), torch.arange(60) % 10, 40, 10), TypeError,
     r"numpy.ndarray"),
    ("metrics.hole_numpy", lambda: hole_fraction(CODES.numpy(), CODES, CODES), TypeError, r"samples .*numpy.ndarray"),
    ("metrics.log_agg_numpy", lambda: log_aggregate_posterior(CODES.numpy(), CODES, CODES), TypeError,
     r"z must be a float tensor.*numpy.ndarray"),
    ("loss.kl_std_mismatch", lambda: kl_std_normal(torch.zeros(3, 2), torch.zeros(3, 3)), ValueError, r"same shape"),
    ("loss.kl_std_numpy", lambda: kl_std_normal(np.zeros((3, 2)), np.zeros((3, 2))), TypeError, r"numpy.ndarray"),
    ("loss.kl_std_floats", lambda: kl_std_normal(0.0, 0.0), TypeError, r"mu must be a float tensor; got a float"),
    ("loss.kl_std_list", lambda: kl_std_normal([0.0, 1.0], [0.0, 0.0]), TypeError, r"got a list"),
    ("loss.kl_normal_mismatch", lambda: kl_normal(MU, LV, torch.zeros(3, 3), torch.zeros(3, 3)), ValueError,
     r"do not broadcast"),
    ("loss.kl_normal_numpy", lambda: kl_normal(MU.numpy(), LV, MU, LV), TypeError, r"mu_q must be a float tensor"),
    ("loss.reparam_mismatch", lambda: reparameterize(MU, torch.zeros(3, 3)), ValueError, r"same shape"),
    ("loss.reparam_k_negative", lambda: reparameterize(MU, LV, -2), ValueError, r"n_samples .*>= 1"),
    ("loss.reparam_k_float", lambda: reparameterize(MU, LV, 2.0), TypeError, r"n_samples .*integer"),
    ("loss.reparam_k_str", lambda: reparameterize(MU, LV, "2"), TypeError, r"n_samples .*integer"),
    ("loss.reparam_k_bool", lambda: reparameterize(MU, LV, True), TypeError, r"n_samples .*integer"),
    ("loss.reparam_numpy", lambda: reparameterize(MU.numpy(), LV.numpy()), TypeError, r"numpy.ndarray"),
    ("loss.reparam_int", lambda: reparameterize(MU.long(), LV.long()), TypeError, r"dtype torch.int64"),
    ("loss.bernoulli_ll_shape", lambda: bernoulli_log_likelihood(X.view(8, 784), torch.zeros(8, 1, 28, 28)),
     ValueError, r"logits must have the shape of x"),
    ("loss.gaussian_ll_logvar_str", lambda: gaussian_log_likelihood(X, X, "0.1"), TypeError, r"logvar .*a number"),
    ("call.log_likelihood_flat_x", lambda: V.log_likelihood(X.view(8, 784), Z), ValueError, r"\(reshape"),
    ("call.log_likelihood_batch_mismatch", lambda: V.log_likelihood(X, torch.zeros(5, 2)), ValueError,
     r"one code per image.*B = 8"),
    ("call.terms_iwae_float", lambda: V.terms(X, iwae_k=2.0), TypeError, r"iwae_k must be an integer"),
    ("call.sample_generator_str", lambda: V.sample(4, generator="0"), TypeError, r"generator must be a torch.Gener"),
    ("data.binarize_images_generator_str", lambda: binarize_images(X, generator="0"), TypeError,
     r"generator must be a torch.Generator"),
    ("data.batches_list", lambda: next(batches([1, 2, 3])), TypeError, r"batches\(\) takes tensors.*a list"),
    ("data.batches_generator_int", lambda: next(batches(X, generator=0)), TypeError,
     r"manual_seed\(0\)"),
    ("data.batches_scalar_tensor", lambda: next(batches(torch.tensor(3.0))), ValueError, r"a scalar tensor"),
    ("fit.kl_weight_str", lambda: kl_weight("1", beta=1.0, warmup_steps=4), TypeError, r"step must be an integer"),
    ("loss.elbo_linear_module", lambda: elbo(nn.Linear(2, 2), X), TypeError, r"needs a model with encode\(\)"),
    ("loss.elbo_model_name_string", lambda: elbo("vae-2d", X), TypeError, r"load it first.*zoo.load\('vae-2d'\)"),
    ("loss.elbo_args_swapped", lambda: elbo(X, V), TypeError, r"did you swap them"),
    ("metrics.active_units_linear", lambda: active_units(nn.Linear(2, 2), X), TypeError, r"needs a vae_lib model"),
    ("clf.predict_vae_as_clf", lambda: predict_proba(V, X), TypeError, r"needs a DigitClassifier.*VAE"),
    ("loss.toy_wrong_dim", lambda: LinearGaussian(torch.randn(5)), ValueError, r"W must be a \[D, K\] matrix"),
    ("loss.toy_s_nan", lambda: LinearGaussian(torch.randn(5, 2), s=float("nan")), ValueError, r"finite number"),
    ("loss.toy_s_str", lambda: LinearGaussian(torch.randn(5, 2), s="0.5"), TypeError, r"s .*must be a number"),
    ("loss.toy_W_numpy", lambda: LinearGaussian(np.ones((5, 2))), TypeError, r"W .*must be a float tensor; got a numpy"),
    ("loss.nonlinear_toy_n_float", lambda: NonlinearToy1D(n=100.5), TypeError, r"n .*must be an integer"),
    ("widget.elbo_toy_nan_s", lambda: __import__("vae_lib.widgets").widgets.ELBOGapExplorer(
        NonlinearToy1D(s=float("nan"))), ValueError, r"finite number"),
    ("data.dataset_list", lambda: load_mnist("test", dataset=["mnist"], download=False), ValueError,
     r"dataset must be one of"),
    ("data.dataset_dict", lambda: load_mnist("test", dataset={"mnist": 1}, download=False), ValueError,
     r"dataset must be one of"),
    ("data.root_int", lambda: load_mnist("test", root=5, download=False), TypeError, r"root must be a path"),
    ("data.root_list", lambda: load_mnist("test", root=["data"], download=False), TypeError, r"root must be a path"),
    ("ckpt.save_path_int", lambda: checkpoints.save(V, 5), TypeError, r"path must be a path .*got an int"),
    ("ckpt.load_path_int", lambda: checkpoints.load(5), TypeError, r"path must be a path"),
    ("model.hidden_astronomic", lambda: VAE(2, hidden=(2**40,)), ValueError, r"at most 16,384 \(the cap on units"),
    ("model.hidden_mid_size", lambda: VAE(2, hidden=(16_000, 16_000, 16_000)), ValueError,
     r"over the cap of 100,000,000"),
    ("model.aae_disc_hidden_int", lambda: AdversarialAutoencoder(2, hidden=(8,), disc_hidden=64), TypeError,
     r"disc_hidden must be a sequence.*one layer: \(64,\)"),
    ("model.aae_disc_hidden_str", lambda: AdversarialAutoencoder(2, hidden=(8,), disc_hidden="64"), TypeError,
     r"disc_hidden must be a sequence"),
    ("fit.on_epoch_str", lambda: _fit(VAE(2, (8,)), X, on_epoch="save"), TypeError, r"on_epoch .*must be a function"),
    ("fit.on_epoch_wrong_arity", lambda: _fit(VAE(2, (8,)), X, on_epoch=lambda row: None), TypeError,
     r"on_epoch .*2 positional argument"),
    ("fit.model_class_not_instance", lambda: _fit(VAE, X), TypeError, r"instantiate the class first"),
    ("fit.device_none", lambda: _fit(VAE(2, (8,)), X, device=None), TypeError, r"device must be one of"),
    ("fit.device_gpu", lambda: _fit(VAE(2, (8,)), X, device="gpu"), ValueError, r"torch does not know"),
    ("fit.train_step_0_255", lambda: train_step(V, _opt(), X * 255), ValueError, r"divide by 255"),
    ("fit.history_column_typo", lambda: History([ROW]).column("elbo"), KeyError, r"no column 'elbo'.*train_elbo"),
    ("ckpt.save_sys", lambda: checkpoints.save(V, "/proc/vae-lib-never/x.pt"), CheckpointError, r"cannot save there"),
    ("ckpt.save_parent_is_file", lambda: checkpoints.save(V, A_FILE / "m.pt"), CheckpointError,
     r"a-file/m.pt: cannot save there"),
    ("ckpt.save_empty_path", lambda: checkpoints.save(V, ""), ValueError, r"path must be a non-empty path"),
    ("ckpt.save_onto_folder", lambda: checkpoints.save(V, EXISTING_DIR), CheckpointError, r"the path is a folder"),
    ("ckpt.load_directory", lambda: checkpoints.load(EXISTING_DIR), CheckpointError, r"a folder, not a checkpoint"),
    ("zoo.root_nonexistent", lambda: zoo.load("ae-2d", root="/no/such/zoo"), CheckpointError,
     r"cannot use the zoo at /no/such/zoo: the folder does not exist"),
    ("zoo.build_string_selection", lambda: zoo.build("ae-2d", out_dir=NEVER.parent / "zoo"), TypeError,
     r"a list of zoo names or globs, e.g. \['ae-2d'\]"),
    ("plots.grid_nrow_zero", lambda: image_grid(X, nrow=0), ValueError, r"nrow .*>= 1"),
    ("plots.grid_nrow_negative", lambda: image_grid(X, nrow=-3), ValueError, r"nrow .*>= 1"),
    ("plots.grid_nrow_float", lambda: image_grid(X, nrow=2.5), TypeError, r"nrow .*integer"),
    ("plots.grid_empty", lambda: image_grid(X[:0]), ValueError, r"is empty"),
    ("plots.grid_numpy", lambda: image_grid(X.numpy()), TypeError, r"numpy.ndarray.*torch.as_tensor"),
    ("plots.grid_list", lambda: image_grid([X[0], X[1]]), TypeError, r"got a list"),
    ("plots.latent_grid_extent_scalar", lambda: latent_grid(V, 3.0), ValueError, r"extent must be \(z1_min"),
    ("plots.latent_grid_cvae", lambda: latent_grid(C), TypeError, r"also needs a label"),
    ("plots.latent_grid_name", lambda: latent_grid("vae-2d"), TypeError, r"load it first"),
    ("plots.latent_grid_huge", lambda: latent_grid(V, n=10**5), ValueError, r"at most 100 \(the cap"),
    ("plots.scatter_numpy", lambda: latent_scatter(CODES.numpy()), TypeError, r"numpy.ndarray"),
    ("plots.scatter_labels_mismatch", lambda: latent_scatter(CODES, Y), ValueError, r"shape \[60\] \(one label"),
    ("plots.scatter_class_names_short", lambda: latent_scatter(CODES, torch.arange(60) % 10, class_names=["a", "b"]),
     ValueError, r"lie in \[0, 2\)"),
    ("plots.scatter_labels_numpy", lambda: latent_scatter(CODES, (torch.arange(60) % 10).numpy()), TypeError,
     r"labels must be a tensor"),
    ("plots.history_missing_keys", lambda: plot_history([{"epoch": 1, "train_elbo": -1.0}]), ValueError,
     r"history\[0\] lacks train_rec"),
    ("plots.history_none", lambda: plot_history(None), TypeError, r"what fit returns"),
    ("plots.show_images_empty", lambda: show_images([], []), TypeError, r"non-empty list of image tensors"),
    ("widget.latent_set_z_str", lambda: _explorer(scatter=False).set_z("0.5"), TypeError, r"z must be 2 numbers"),
    ("widget.latent_set_z_none", lambda: _explorer(scatter=False).set_z(None), TypeError, r"z must be 2 numbers"),
    ("widget.draw_terms_wrong_size", lambda: _draw().terms(torch.zeros(14, 14)), ValueError, r"one 28 x 28 image"),
    ("widget.draw_terms_str", lambda: _draw().terms("digit"), TypeError, r"x must be a 28 x 28 image"),
    ("widget.inpage_set_label_str", lambda: _inpage().set_label("3"), TypeError, r"label must be an integer"),
    ("widget.build_app_tabs_str", lambda: __import__("vae_lib.widgets.base").widgets.base.check_tabs("latent"),
     TypeError, r"tabs must be a non-empty list of vae_lib.lecture.Tab"),
    ("widget.preprocess_0_255", lambda: _preprocess(np.full((40, 40), 255.0)), ValueError,
     r"values in \[0, 1\]; got values from 255 to 255 \(0..255"),
    ("widget.preprocess_nan", lambda: _preprocess(np.full((40, 40), np.nan)), ValueError, r"NaN or infinite"),
    ("widget.preprocess_str", lambda: _preprocess("ink"), TypeError, r"ink must be a \[H, W\] array"),
    ("clf.predict_batch_zero", lambda: predict_proba(DigitClassifier(), X, batch_size=0), ValueError,
     r"batch_size must be an integer >= 1"),
    ("clf.predict_batch_negative", lambda: predict_proba(DigitClassifier(), X, batch_size=-1), ValueError,
     r"batch_size"),
    ("clf.train_mixup_str", lambda: train_classifier(X, Y, mixup="0.5"), TypeError, r"mixup .*must be a number"),
]


@pytest.mark.parametrize("call,exc,match", [pytest.param(c, e, m, id=name) for name, c, e, m in CASES])
def test_the_review_cases_fail_with_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
    assert sorted(NEVER.parent.iterdir()) == [], "a refused call wrote a file"


# ---------------------------------------------------------------- correct results
def test_kl_std_normal_is_never_negative_near_logvar_zero():            # loss.kl_std_negative_near_zero
    lv = torch.linspace(-1e-3, 1e-3, 20_001)[:, None]
    kl = kl_std_normal(torch.zeros_like(lv), lv)
    assert (kl >= 0).all()
    torch.testing.assert_close(kl, 0.5 * (lv.double().exp() - 1 - lv.double())[:, 0].float(), rtol=1e-3, atol=1e-10)


def test_kl_normal_of_two_infinitely_wide_gaussians_is_their_limit():  # loss.kl_normal_both_inf_var
    inf, zero = torch.full((1, 1), math.inf), torch.zeros(1, 1)
    assert kl_normal(zero, inf, zero + 1, inf).item() == 0.0             # (mu_q - mu_p)^2 / (2 s^2) -> 0
    assert kl_normal(zero, -inf, zero, -inf).item() == 0.0               # the same point mass
    assert kl_normal(zero, -inf, zero + 1, -inf).item() == math.inf      # two different point masses


def test_half_precision_images_are_converted():                          # call.encode_float16, encode_bfloat16 ...
    mu, _ = V.encode(X)
    for dt in (torch.float16, torch.bfloat16):
        m, lv = V.encode(X.to(dt))                                       # 0/1 pixels: the conversion loses nothing
        assert m.dtype == torch.float32 and torch.equal(m, mu)
    hist = _fit(VAE(2, (8,)), X.half())                                  # fit.images_float16
    assert len(hist) == 1 and math.isfinite(hist[0]["train_elbo"])


def test_a_conditional_decoder_takes_one_code_and_one_label():          # call.cvae_decode_1d_z(_int_label)
    z = torch.zeros(2)
    expected = C.decode(z[None], torch.tensor([3]))[0]                     # [1, 28, 28], as for a VAE's z [K]
    assert torch.equal(C.decode(z, torch.tensor([3])), expected) and C.decode(z, 3).shape == (1, 28, 28)
    with pytest.raises(ValueError, match=r"one label per code.*torch.full\(\(4,\), 3\)"):
        C.decode(torch.zeros(4, 2), 3)


def test_a_numpy_integer_is_a_count():                                   # model.prior_comp_numpy
    m = VAE(2, hidden=(8,), prior="mog", prior_components=np.int64(3))
    assert m.prior.components == 3 and m.config["prior_components"] == 3


# ---------------------------------------------------------------- data files
def _write_split(raw: pathlib.Path, prefix: str, n_images: int, labels: bytes) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    head = (0x803).to_bytes(4, "big") + b"".join(v.to_bytes(4, "big") for v in (n_images, 28, 28))
    (raw / f"{prefix}-images-idx3-ubyte").write_bytes(head + bytes(n_images * 784))
    (raw / f"{prefix}-labels-idx1-ubyte").write_bytes((0x801).to_bytes(4, "big") + len(labels).to_bytes(4, "big")
                                                      + labels)


def test_labels_outside_the_classes_are_named(tmp_path):               # data.labels_out_of_range
    _write_split(tmp_path / "MNIST" / "raw", "t10k", 3, bytes([1, 200, 2]))
    with pytest.raises(DatasetCorruptError, match=r"labels from 1 to 200; MNIST has classes 0 to 9"):
        load_mnist("test", root=tmp_path, download=False)


def test_an_idx_file_without_images_is_named(tmp_path):                # data.zero_images
    _write_split(tmp_path / "MNIST" / "raw", "t10k", 0, b"")
    with pytest.raises(DatasetCorruptError, match=r"holds no images"):
        load_mnist("test", root=tmp_path, download=False)


def test_a_download_timeout_that_is_not_a_number_is_named(tmp_path, monkeypatch):   # data.env_timeout_text
    monkeypatch.setenv("VAE_LIB_DOWNLOAD_TIMEOUT", "abc")
    with pytest.raises(ValueError, match=r"VAE_LIB_DOWNLOAD_TIMEOUT must be a number of seconds > 0; got 'abc'"):
        load_mnist("test", root=tmp_path)


# ---------------------------------------------------------------- checkpoints
def _flip_a_weight_byte(path: pathlib.Path, model: nn.Module) -> None:
    """Flip one bit inside the bytes of the first weight matrix, as a damaged copy would."""
    raw = bytearray(path.read_bytes())
    w = next(iter(model.state_dict().values())).detach().float().contiguous().numpy().tobytes()[:32]
    at = raw.find(w)
    assert at > 0, "the weight's bytes were not found in the file"
    raw[at + 5] ^= 0x10
    path.write_bytes(bytes(raw))


def test_one_flipped_byte_in_a_weight_is_found(tmp_path):              # ckpt.load_bitflip
    m = VAE(2, hidden=(16,))
    path = checkpoints.save(m, tmp_path / "m.pt")
    _flip_a_weight_byte(path, m)
    with pytest.raises(CheckpointError, match=r"do not match the digest"):
        checkpoints.load(path)


def test_non_finite_weights_are_refused(tmp_path):                     # ckpt.state_nan
    m = VAE(2, hidden=(16,))
    with torch.no_grad():
        m.encoder.head[0].weight[0, 0] = float("nan")
    with pytest.raises(CheckpointError, match=r"hold 1 NaN or infinite value\(s\) \(not saved\)"):
        checkpoints.save(m, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()
    payload = {"format": "vae_lib.checkpoint", "version": 1, "class": "VAE", "config": m.config,
               "state_dict": m.state_dict(), "metadata": {}}                 # written by hand, without a digest
    torch.save(payload, tmp_path / "nan.pt")
    with pytest.raises(CheckpointError, match=r"NaN or infinite value\(s\) \(refused\)"):
        checkpoints.load(tmp_path / "nan.pt")
    with pytest.raises(CheckpointError, match=r"too large for torch.float16"):   # a weight float16 cannot hold
        big = VAE(2, hidden=(16,))
        with torch.no_grad():
            big.encoder.head[0].weight[0, 0] = 1e6
        checkpoints.save(big, tmp_path / "big.pt", storage_dtype=torch.float16)


@pytest.mark.parametrize("value,kind", [(3, "an int"), ([1.0, 2.0], "a list")])
def test_weights_that_are_not_tensors_are_named(tmp_path, value, kind):  # ckpt.state_value_int, state_value_list
    m = VAE(2, hidden=(16,))
    state = dict(m.state_dict())
    state[next(iter(state))] = value
    torch.save({"format": "vae_lib.checkpoint", "version": 1, "class": "VAE", "config": m.config,
                "state_dict": state, "metadata": {}}, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=f"is {kind}, not a tensor"):
        checkpoints.load(tmp_path / "m.pt")


def test_a_pickled_module_is_not_a_safe_checkpoint(tmp_path):           # ckpt.load_whole_module
    torch.save(VAE(2, hidden=(8,)), tmp_path / "whole.pt")
    with pytest.raises(CheckpointError, match=r"not a safe checkpoint.*vae_lib.checkpoints.save") as info:
        checkpoints.load(tmp_path / "whole.pt")
    assert "weights_only=False" not in str(info.value) and "corrupt" not in str(info.value)


def test_a_config_that_asks_for_astronomic_memory_is_refused_before_allocating(tmp_path):  # ckpt.config_astronomic
    m = VAE(2, hidden=(16,))
    for hidden in ([2**40], [16_000] * 3):
        torch.save({"format": "vae_lib.checkpoint", "version": 1, "class": "VAE",
                    "config": {**m.config, "hidden": hidden}, "state_dict": m.state_dict(), "metadata": {}},
                   tmp_path / "m.pt")
        with pytest.raises(CheckpointError, match=r"does not build a VAE.*cap"):
            checkpoints.load(tmp_path / "m.pt")


def test_an_unwritable_folder_is_named_and_no_temporary_file_is_left(tmp_path):   # ckpt.save_unwritable_no_tmp_left
    if os.geteuid() == 0:
        pytest.skip("permissions do not bind root")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(CheckpointError, match="cannot save there"):
            checkpoints.save(V, folder / "m.pt")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_save_that_fails_midway_leaves_no_temporary_file(tmp_path, monkeypatch):  # ckpt.save_unwritable_no_tmp_left
    def half_written(obj, f, *a, **k):   # as a full disk or a lost permission does: a partial file, then an error
        pathlib.Path(f).write_bytes(b"PK\x03\x04 partial")
        raise RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0")

    monkeypatch.setattr(torch, "save", half_written)
    with pytest.raises(CheckpointError, match=r"m.pt: cannot save there \(RuntimeError"):
        checkpoints.save(V, tmp_path / "m.pt")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the zoo's manifest
@pytest.fixture
def small_zoo(tmp_path):
    """A zoo folder with ae-2d and vae-2d (small untrained models saved with digests) and its manifest."""
    root = tmp_path / "zoo"
    root.mkdir()
    models = {}
    for name, model in (("ae-2d", Autoencoder(2, hidden=(16,))), ("vae-2d", VAE(2, hidden=(16,)))):
        path = checkpoints.save(model, root / f"{name}.pt")
        models[name] = {"file": path.name, "sha256": zoo.sha256(path), "bytes": path.stat().st_size}
    (root / "manifest.json").write_text(json.dumps({"format": "vae_lib.zoo", "version": 2, "models": models}))
    return root


def _edit_manifest(root: pathlib.Path, name: str, **entry) -> None:
    data = json.loads((root / "manifest.json").read_text())
    data["models"][name].update(entry)
    (root / "manifest.json").write_text(json.dumps(data))


def test_the_small_zoo_loads(small_zoo):
    assert type(zoo.load("vae-2d", root=small_zoo)).__name__ == "VAE"


def test_a_tampered_file_with_a_consistent_manifest_is_found(small_zoo):  # zoo.tamper_consistent_rehash
    m = checkpoints.load(small_zoo / "vae-2d.pt")
    _flip_a_weight_byte(small_zoo / "vae-2d.pt", m)
    _edit_manifest(small_zoo, "vae-2d", sha256=zoo.sha256(small_zoo / "vae-2d.pt"))
    with pytest.raises(CheckpointError, match=r"do not match the digest"):
        zoo.load("vae-2d", root=small_zoo)


@pytest.mark.parametrize("file", ["ae-2d.pt", "/etc/hostname", "../../etc/hostname", "sub/vae-2d.pt"])
def test_a_manifest_entry_cannot_point_elsewhere(small_zoo, file):       # zoo.manifest_absolute_file
    _edit_manifest(small_zoo, "vae-2d", file=file)
    with pytest.raises(CheckpointError, match=r"entry of 'vae-2d' names the file .*'vae-2d.pt' in the zoo folder"):
        zoo.load("vae-2d", root=small_zoo)


def test_a_file_of_the_wrong_class_is_refused(small_zoo):               # zoo.manifest_entry_wrong_class
    shutil.copy(small_zoo / "ae-2d.pt", small_zoo / "vae-2d.pt")
    _edit_manifest(small_zoo, "vae-2d", sha256=zoo.sha256(small_zoo / "vae-2d.pt"))
    with pytest.raises(CheckpointError, match=r"holds a Autoencoder, but 'vae-2d' is a VAE"):
        zoo.load("vae-2d", root=small_zoo)


def test_an_empty_zoo_folder_is_named(tmp_path, monkeypatch):           # zoo.env_zoo_empty_dir
    monkeypatch.setenv("VAE_LIB_ZOO", str(tmp_path))
    with pytest.raises(CheckpointError, match=r"from VAE_LIB_ZOO\) has no manifest.json"):
        zoo.load("ae-2d")


def test_a_manifest_that_is_a_folder_is_named(tmp_path, capsys):        # zoo.manifest_is_directory, cli.list_...
    (tmp_path / "manifest.json").mkdir()
    with pytest.raises(CheckpointError, match=r"the manifest is not a file"):
        zoo.load("ae-2d", root=tmp_path)
    assert zoo.main(["list", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "manifest is not a file" in err


def test_the_command_line_refuses_an_unknown_device_in_one_line(tmp_path, capsys):  # cli.build_device_gpu
    assert zoo.main(["build", "ae-2d", "--device", "gpu", "--out", str(tmp_path / "zoo"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "device" in err and "'gpu'" in err


def test_the_command_line_turns_an_unexpected_error_into_one_line(monkeypatch, capsys):
    from vae_lib.zoo import cli

    def boom(*a, **k):
        raise RuntimeError("the GPU fell off\nsecond line")

    monkeypatch.setattr(cli, "build", boom)
    assert zoo.main(["build", "ae-2d"]) == 1
    assert capsys.readouterr().err == "error: RuntimeError: the GPU fell off second line\n"


# ---------------------------------------------------------------- the validators themselves
@pytest.mark.parametrize("call,exc,match", [
    (lambda: validate.seed(-1), ValueError, r"from 0 to 2\*\*63 - 1"),
    (lambda: validate.seed(np.int64(5)), None, None),
    (lambda: validate.device("cuda:7" if not torch.cuda.is_available() else "cuda:999"), ValueError, r"CUDA"),
    (lambda: validate.device("tpu"), ValueError, r"torch does not know|runs on the CPU"),
    (lambda: validate.device("auto", allow_auto=False), ValueError, r"torch does not know|device must be"),
    (lambda: validate.path(b"/tmp/x"), TypeError, r"a str or pathlib.Path"),
    (lambda: validate.path("a\0b"), ValueError, r"non-empty path"),
    (lambda: validate.flag(1, "progress"), TypeError, r"progress must be True or False; got 1"),
    (lambda: validate.flag(np.bool_(True), "progress"), None, None),
    (lambda: validate.callback(len, "f", 1), None, None),
    (lambda: validate.callback(lambda a, b, *c: 0, "f", 2), None, None),
    (lambda: validate.callback(VAE, "f", 2), TypeError, r"f must be a function"),
    (lambda: validate.count(10**9, "n", cap="samples"), ValueError, r"at most 1,000,000 \(the cap on samples"),
    (lambda: validate.generator(torch.Generator().manual_seed(0)), None, None),
])
def test_the_validators(call, exc, match):
    if exc is None:
        call()
        return
    with pytest.raises(exc, match=match):
        call()
