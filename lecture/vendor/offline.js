// What the pages of `make slides` and `make html` load as nbconvert's mathjax_url. The Makefile copies
// this file, with the packages of package.json (npm ci) and the anywidget front end, into the folder
// `vendor/` next to the pages: every script a page loads is a relative path into that folder, so the
// folder works from file://, from a USB stick, with no network.
//
// 1. MathJax 3 (./mathjax/tex-chtml-full.js), configured as nbconvert's own MathJax 2 configuration:
//    $...$ and \(...\) inline, $$...$$ and \[...\] displayed, \$ escapes, \begin{...} environments,
//    AMS equation numbers. (nbconvert's <script type="text/x-mathjax-config"> is MathJax 2 only: the
//    browser ignores it.) The reveal.js template calls MathJax.Hub (MathJax 2) on every slide change:
//    a no-op stands in for it (MathJax 3 typesets every slide at load).
// 2. requirejs (loaded before this script) learns where the anywidget front end is (./anywidget.js, the
//    AMD bundle the anywidget Python package ships): the widget renderer (html-manager) asks requirejs
//    for a widget module by name before it would ask a CDN. The widget's own code travels in the saved
//    widget state (its _esm); anywidget imports it from a blob: URL, offline.
// 3. the widget renderer finds its icon fonts in ./html-manager/ (its own guess is wrong under file://).
(function () {
  "use strict";
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  var hub = { getAllJax: function () { return null; }, Rerender: function () {}, Queue: function () {} };
  window.MathJax = {
    tex: {
      inlineMath: [["$", "$"], ["\\(", "\\)"]],
      displayMath: [["$$", "$$"], ["\\[", "\\]"]],
      processEscapes: true,
      processEnvironments: true,
      tags: "ams",
    },
    options: { ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process" },
    startup: {
      ready: function () {
        window.MathJax.startup.defaultReady();
        window.MathJax.Hub = hub;
      },
    },
    Hub: hub,
  };
  var script = document.createElement("script");
  script.src = here + "mathjax/tex-chtml-full.js";
  script.async = true;
  script.id = "MathJax-script";
  document.head.appendChild(script);

  if (window.requirejs) {
    // anywidget's front end, and the widget renderer's own folder (its icon fonts are found relative to it)
    window.requirejs.config({ paths: { anywidget: here + "anywidget",
                                       "@jupyter-widgets/html-manager/dist": here + "html-manager" } });
  }
  window.__jupyter_widgets_assets_path__ = here + "html-manager/";
})();
