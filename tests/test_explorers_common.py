"""What every explorer shares, headless: render_png, clear errors before any work, display and close, one style of sizes (notebook and projector), one message per move, the live figure.

Small untrained models stand in for the zoo (the explorers take any vae_lib model); split from the former
tests/test_widgets.py, one file per explorer (shared helpers: tests/_explorers.py)."""

from __future__ import annotations

import ipywidgets as W
import pytest
import torch
from _explorers import INF, NAN, N, _ae, _decoded_png, _pixels, _sent, _tree, _vae, first_images

from vae_lib import widgets
from vae_lib.models import ConditionalVAE
from vae_lib.widgets import (
    SCALE,
    BetaExplorer,
    ELBOGapExplorer,
    InterpolationExplorer,
    KLExplorer,
    LatentExplorer,
    render_png,
)
from vae_lib.widgets.render import Style


@pytest.fixture(scope="module")
def data(mnist_test_binary):
    """The first N synthetic test images (binarized once, seed 0) and their labels."""
    return first_images(mnist_test_binary)


# --------------------------------------------------------------------------- render_png
def test_render_png_tiles_images_with_white_gaps():
    imgs = torch.zeros(3, 1, 28, 28)
    imgs[0, 0, 0, 0] = 1.0    # ink in the top-left corner of the first image
    imgs[1, 0, 27, 27] = 1.0  # ink in the bottom-right corner of the second
    imgs[2] = 0.5
    px = _pixels(render_png(imgs, scale=1, nrow=2, pad=1))
    assert px.shape == (57, 57)  # 2 x 28 + one gap, no outer frame
    assert px[0, 0] == 0 and px[27, 29 + 27] == 0  # ink is black, each image at its place
    assert (px[:28, :28] == 255).sum() == 28 * 28 - 1 and (px[:28, 29:] == 255).sum() == 28 * 28 - 1
    assert (px[28, :] == 255).all() and (px[:, 28] == 255).all()  # the gaps are white
    assert (px[29:, :28] == 128).all()  # the third image: grey 0.5 -> 128
    assert (px[29:, 29:] == 255).all()  # no fourth image: white
    big = _pixels(render_png(imgs, scale=3, nrow=2))
    assert big.shape == (171, 171) and (big[:3, :3] == 0).all() and big[3, 3] == 255  # 3 x 3 blocks
    row = _pixels(render_png(imgs, scale=1))  # nrow defaults to all in one row
    assert row.shape == (28, 3 * 28 + 2)
    one = torch.rand(28, 28)
    assert render_png(one) == render_png(one[None]) == render_png(one[None, None])
    assert _pixels(render_png(one, scale=1)).shape == (28, 28)
    assert _pixels(render_png(one)).shape == (28 * SCALE, 28 * SCALE)
    with pytest.raises(ValueError, match=r"render_png expects"):
        render_png(torch.zeros(2, 28, 28))


# --------------------------------------------------------------------------- errors, before any work
@pytest.mark.parametrize("make, error, match", [
    (lambda d: LatentExplorer(torch.nn.Linear(2, 2)), TypeError, "expected a vae_lib model.*zoo.load"),
    (lambda d: LatentExplorer("no-such-model"), KeyError, "unknown zoo model"),
    (lambda d: LatentExplorer(_vae(), dataset=d, range="wide"), ValueError, "range must be"),
    (lambda d: LatentExplorer(_vae(), dataset=d, n_points=0), ValueError, "n_points must be an integer >= 1"),
    (lambda d: LatentExplorer(_vae(), dataset=d, n_points=2.5), TypeError, "n_points"),
    (lambda d: LatentExplorer(_vae(), dataset=d, scale=0), ValueError, "scale must be an integer >= 1"),
    (lambda d: LatentExplorer(_vae(), dataset="cifar"), ValueError, "dataset must be one of"),
    (lambda d: LatentExplorer(_vae(), dataset=[1, 2, 3]), TypeError, "dataset must be"),
    (lambda d: LatentExplorer(_vae(), dataset=(d[0] * 255, d[1])), ValueError, "divide by 255"),
    (lambda d: LatentExplorer(_vae(), dataset=(d[0], d[1][:10])), ValueError, r"dataset labels must have shape"),
    (lambda d: LatentExplorer(_vae(), dataset=(d[0], d[1] + 10)), ValueError, r"dataset labels must lie in \[0, 10\)"),
    (lambda d: BetaExplorer({0.0: _ae(), 1.0: _vae()}, dataset=d), TypeError,
     "BetaExplorer needs unconditional VAEs.*Autoencoder"),
    (lambda d: BetaExplorer({1.0: ConditionalVAE(2, hidden=(32,))}, dataset=d), TypeError, "ConditionalVAE"),
    (lambda d: BetaExplorer({0.0: torch.nn.Linear(2, 2)}, dataset=d), TypeError, "expected a vae_lib model"),
    (lambda d: BetaExplorer({0.0: _vae(2), 1.0: _vae(3)}, dataset=d), ValueError, "same latent size"),
    (lambda d: BetaExplorer(["vae-2d-beta-0", "vae-2d-beta-1"]), TypeError, "models must be a mapping"),
    (lambda d: BetaExplorer({}, dataset=d), ValueError, "at least one model"),
    (lambda d: BetaExplorer({-1.0: _vae()}, dataset=d), ValueError, "beta.*>= 0"),
    (lambda d: BetaExplorer({NAN: _vae()}, dataset=d), ValueError, "beta.*finite"),
    (lambda d: BetaExplorer({torch.tensor(1.0): _vae(), 1.0: _vae()}, dataset=d), ValueError, "one model per beta"),
    (lambda d: BetaExplorer(latent_dim=3), ValueError, "no beta grid with latent_dim=3"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, metrics={1.0: 5.0}), ValueError, "pair"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, metrics={1.0: (NAN, 1.0)}), ValueError, "rate.*finite"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, metrics={1.0: (-1.0, 1.0)}), ValueError, "rate.*>= 0"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, n_digits=0), ValueError, "n_digits"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, n_samples=0), ValueError, "n_samples"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, n_points=-1), ValueError, "n_points"),
    (lambda d: BetaExplorer({1.0: _vae()}, dataset=d, scale=0), ValueError, "scale"),
    (lambda d: InterpolationExplorer([ConditionalVAE(2, hidden=(32,))], dataset=d), TypeError, "ConditionalVAE"),
    (lambda d: InterpolationExplorer([torch.nn.Linear(2, 2)], dataset=d), TypeError, "expected a vae_lib model"),
    (lambda d: InterpolationExplorer([], dataset=d), ValueError, "at least one model"),
    (lambda d: InterpolationExplorer(_vae(), dataset=d), TypeError, "models must be"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, steps=1), ValueError, "steps must be an integer >= 2"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, index_a=-1), ValueError, "index_a must be an integer >= 0"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, index_a=N), ValueError,
     rf"index_a must be a test-image index in \[0, {N - 1}\]; got {N}"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, index_b=10**6), ValueError, "index_b must be a test-image"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, index_b=1.0), TypeError, "index_b"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, alpha=NAN), ValueError, r"alpha must be a finite number in \[0, 1\]"),
    (lambda d: InterpolationExplorer([_vae()], dataset=d, scale=0), ValueError, "scale"),
    (lambda d: KLExplorer(mode="bimodal"), ValueError, "mode must be"),
    (lambda d: KLExplorer(n_mc=0), ValueError, "n_mc .*must be an integer >= 1; got 0"),
    (lambda d: KLExplorer(n_mc=-5), ValueError, "n_mc .*>= 1; got -5"),
    (lambda d: KLExplorer(n_mc=2.5), TypeError, "n_mc .*must be an integer"),
    (lambda d: KLExplorer(seed=-1), ValueError, "seed"),
    (lambda d: KLExplorer(mu_q=NAN), ValueError, r"mu_q must be a finite number in \[-4, 4\]"),
    (lambda d: KLExplorer(sigma_p=INF), ValueError, r"sigma_p must be a finite number in \[0.2, 3\]"),
    (lambda d: KLExplorer(weight=-INF), ValueError, r"weight must be a finite number in \[0.05, 0.95\]"),
    (lambda d: ELBOGapExplorer(x=NAN), ValueError, r"x must be a finite number in \[-1, 6\]"),
    (lambda d: ELBOGapExplorer(x=INF), ValueError, r"x must be a finite number in \[-1, 6\]"),
    (lambda d: ELBOGapExplorer(x=-INF), ValueError, r"x must be a finite number in \[-1, 6\]"),
    (lambda d: ELBOGapExplorer(mu=NAN), ValueError, r"mu must be a finite number in \[-4, 4\]"),
    (lambda d: ELBOGapExplorer(sigma=INF), ValueError, r"sigma must be a finite number in \[0.02, 1.5\]"),
    (lambda d: ELBOGapExplorer(x="1.5"), TypeError, "x must be a number"),
    (lambda d: ELBOGapExplorer(toy="toy"), TypeError, "NonlinearToy1D"),
])
def test_bad_inputs_raise_clear_errors(data, make, error, match):
    with pytest.raises(error, match=match):
        make(data)


def test_bad_arguments_fail_before_any_model_work(data, monkeypatch):
    model = _vae()

    def boom(*a, **k):
        raise AssertionError("the model ran before the arguments were checked")

    monkeypatch.setattr(model, "posterior_mean", boom)
    monkeypatch.setattr(model, "decode", boom)
    with pytest.raises(ValueError, match="n_points"):
        LatentExplorer(model, dataset=data, n_points=0)
    with pytest.raises(ValueError, match="steps"):
        InterpolationExplorer([model], dataset=data, steps=0)
    with pytest.raises(ValueError, match="index_b"):
        InterpolationExplorer([model], dataset=data, index_b=N)
    with pytest.raises(ValueError, match="n_samples"):
        BetaExplorer({1.0: model}, dataset=data, n_samples=0)


# --------------------------------------------------------------------------- display, style, close
def test_display_hooks_show_the_root_widget(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    ex = KLExplorer()
    ex.display()
    ex._ipython_display_()
    assert shown == [ex.widget, ex.widget]
    assert ex.image in _tree(ex.widget) and all(s in _tree(ex.widget) for s in ex.sliders.values())


def test_sizes_come_from_one_style(data):
    class Big(LatentExplorer):
        style = Style(image_scale=8, slider_width=500)

    assert SCALE == Style().image_scale == 6
    model = _vae()
    ex, big = LatentExplorer(model, dataset=data), Big(model, dataset=data)
    assert ex.image.layout.width == f"{28 * 6}px" and big.image.layout.width == f"{28 * 8}px"
    assert ex.sliders[0].layout.width == "320px" and big.sliders[0].layout.width == "500px"
    assert _pixels(big.image.value).shape == (224, 224) and big.image.value == _decoded_png(model, big.z, scale=8)


def test_close_closes_only_this_explorer():
    other = W.IntSlider()
    ex = KLExplorer()
    everything = _tree(ex.widget)
    assert len(everything) > 10
    ex.close()
    assert all(w.comm is None for w in everything)
    assert ex.image.comm is None and ex.sliders["mu_q"].comm is None
    assert other.comm is not None  # other widgets stay open (Widget.close_all would close them)


def test_public_api():
    for name in ("LatentExplorer", "BetaExplorer", "InterpolationExplorer", "KLExplorer", "ELBOGapExplorer",
                 "render_png", "SCALE"):
        assert name in widgets.__all__ and hasattr(widgets, name)


def test_sizes_notebook_and_large():
    from vae_lib.widgets.render import SIZES, style_css

    assert SIZES["notebook"] == Style() and style_css(SIZES["notebook"]) == ""  # the default stays as it is
    big = SIZES["large"]
    assert big.px(10) >= 16 and big.css_font_px >= 20 and 28 * big.image_scale >= 420
    assert big.scatter_size[1] * big.dpi >= 420 and big.kl_size[1] * big.dpi >= 420 and big.elbo_size[1] * big.dpi >= 420
    css = style_css(big)
    assert ".vae-size-large" in css and "font-size: 20px" in css
    with pytest.raises(ValueError, match="size must be one of"):
        KLExplorer(size="huge")
    assert KLExplorer(size=Style(dpi=90)).style.dpi == 90  # a Style of one's own


@pytest.mark.parametrize("make", [
    lambda d: LatentExplorer(_vae(), dataset=d, size="large"),
    lambda d: BetaExplorer({0.5: _vae(2, 1), 2.0: _vae(2, 2)}, dataset=d, metrics={0.5: (9.0, 150.0), 2.0: (3.0, 160.0)},
                           n_points=200, size="large"),
    lambda d: InterpolationExplorer([_ae(), _vae()], dataset=d, size="large"),
    lambda d: KLExplorer(size="large"),
    lambda d: ELBOGapExplorer(size="large"),
], ids=["latent", "beta", "interpolation", "kl", "elbo_gap"])
def test_large_explorers_have_projector_sizes(data, make):
    ex = make(data)
    st = ex.style
    assert st.name == "large" and "vae-size-large" in ex.widget._dom_classes
    sheet = ex.widget.children[0]
    assert isinstance(sheet, W.HTML) and "<style>" in sheet.value and sheet.layout.display == "none"
    for w in _tree(ex.widget):
        if isinstance(w, (W.FloatSlider, W.SelectionSlider)):
            assert w.style.description_width == st.description_width
    pictures = [w for w in _tree(ex.widget) if isinstance(w, W.Image) and w.format == "png" and len(w.value) > 100]

    def shown(w: W.Image) -> int:  # CSS pixels: the layout's height, else the PNG's own
        return int(w.layout.height[:-2]) if w.layout.height else _pixels(w.value).shape[0]

    assert max(shown(w) for w in pictures) >= 420  # the main image or figure on screen
    for w in pictures:  # a picture is shown at its natural size, or enlarged by a whole factor without blur
        h = _pixels(w.value).shape[0]
        assert shown(w) == h or ("vae-pixels" in w._dom_classes and shown(w) % h == 0), (shown(w), h)
    for cls, texts in ex.plot_texts().items():  # every text drawn into a figure: >= 16 px at natural size
        assert texts and texts[0][1] >= 16, (cls, texts[:3])
        assert any(cls in w._dom_classes for w in _tree(ex.widget))


def test_notebook_explorers_keep_their_sizes(data):
    ex = LatentExplorer(_vae(), dataset=data)
    assert ex.style == Style() and _pixels(ex.image.value).shape == (28 * 6, 28 * 6)
    assert _pixels(ex.scatter.value).shape == (288, 288)  # 3.6 in at 80 dpi, as before
    assert isinstance(ex.widget.children[0], W.HTML) and "<style>" not in ex.widget.children[0].value
    assert min(px for _, px in ex.plot_texts()["vae-latent-scatter"]) == pytest.approx(6 * 80 / 72)
    kl = KLExplorer()
    assert _pixels(kl.picture.value).shape[:2] == (224, 416)  # 5.2 x 2.8 in at 80 dpi


def test_kl_and_elbo_moves_send_only_what_moved(monkeypatch):
    kl, gap = KLExplorer(), ELBOGapExplorer()
    sent = _sent(monkeypatch)
    axes = kl.picture.value
    kl.sliders["mu_q"].value = 0.4  # (set from code, the slider itself sends its new value too: not counted)
    assert [w for w, _ in sent if w is not kl.sliders["mu_q"]] == [kl.image]  # one message: curves and numbers
    assert kl.text is kl.image and kl.picture.value == axes  # the axes stay
    html = kl.image.value
    assert html.count("<svg") == 1 and html.count("<polyline") == 2 and f"{kl.values['kl_qp']:.4f}" in html
    sent.clear()
    gap.sliders["mu"].value = 0.7
    assert [w for w, _ in sent if w is not gap.sliders["mu"]] == [gap.image]
    assert gap.image.value.count("<rect ") >= 3 and gap.image.value.count("<polyline") == 4
    assert f"{gap.values['elbo']:.4f}" in gap.image.value
    ids = [v.split('"')[0] for v in (kl.image.value + gap.image.value).split('clipPath id="')[1:]]
    assert len(ids) == len(set(ids)) == 3  # unique in the page (the lecture app shows both)


def test_live_figure_draws_the_artists_where_matplotlib_does():
    from vae_lib.widgets.render import new_figure
    from vae_lib.widgets.svg import LiveFigure

    fig, ax = new_figure((3, 2), dpi=100)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    (line,) = ax.plot([2, 8], [5, 5], lw=3.6, color="#ff0000")
    (bar,) = ax.bar([5], [4], width=2)
    live = LiveFigure(fig, [line, bar])
    svg = live.render()
    (x0, y0), (x1, y1) = ax.transData.transform([(2, 5), (8, 5)])
    h = live.height
    pts = [int(v) for v in svg.split('points="')[1].split('"')[0].split(",")]
    assert pts[:2] == [round(x0 * 10), round((h - y0) * 10)] and pts[-2:] == [round(x1 * 10), round((h - y1) * 10)]
    assert 'stroke="#ff0000"' in svg and 'stroke-width="50.0"' in svg  # 3.6 pt at 100 dpi = 5 px (in tenths)
    (bx0, by0), (bx1, by1) = ax.transData.transform([(4, 0), (6, 4)])
    assert f'x="{bx0:.1f}" y="{h - by1:.1f}" width="{bx1 - bx0:.1f}" height="{by1 - by0:.1f}"' in svg
    assert _pixels(live.picture.value).shape[:2] == (200, 300)  # the static parts: 3 x 2 in at 100 dpi
    picture = live.picture.value
    live.update("<b>numbers</b>")
    first = live.layer.value
    assert svg in first and first.endswith('<div class="vae-below"><b>numbers</b></div>')
    line.set_ydata([1, 9])
    live.update("<b>numbers</b>")
    assert live.picture.value == picture and live.layer.value != first


def test_large_images_are_sent_small_and_enlarged_by_the_browser(data):
    model = _vae()
    ex = LatentExplorer(model, dataset=data, size="large")
    assert ex.scale == 17 and ex.png_scale == 1 and "vae-pixels" in ex.image._dom_classes
    assert ex.image.layout.width == ex.image.layout.height == "476px"
    ex.sliders[0].value = 1.0
    assert ex.image.value == _decoded_png(model, ex.z, scale=1)  # 28 x 28: the browser enlarges it 17 x
    assert "img.vae-pixels {image-rendering: pixelated}" in ex.widget.children[0].value
    ip = InterpolationExplorer([model], dataset=data, size="large")
    name = next(iter(ip.images))
    assert _pixels(ip.images[name].value).shape == (28, 28) and "vae-pixels" in ip.images[name]._dom_classes
    assert ip.images[name].value == _decoded_png(model, ip.z[name], scale=1)
    nb = LatentExplorer(model, dataset=data)  # the notebook size sends the picture at its screen size, as before
    assert nb.png_scale == nb.scale == 6 and "vae-pixels" not in nb.image._dom_classes
