// Loaded between require.js and the widget renderer (myst-nb's nb_ipywidgets_js), on the pages with widgets:
// 1. tells requirejs where the anywidget front end and the widget renderer are, in the site's shared vendor/
//    folder (lecture/vendor/offline.js does the same for `make html`); the renderer then finds its icon fonts
//    beside itself. The widget's own code travels in the page's saved widget state (its _esm) and is imported
//    from a blob: URL: in-page explorers run offline.
// 2. the widget renderer typesets an HTML widget's math with MathJax 2's MathJax.Hub.Queue; the site loads
//    MathJax 3 (Sphinx's mathjax_path), so a stand-in Hub hands each such request to MathJax 3's typesetPromise.
(function () {
  "use strict";
  var vendor = document.currentScript.src.replace(/[^/]*$/, "") + "../../vendor/";
  if (window.requirejs) {
    // the renderer's own module name too: it finds its icon fonts next to the file that name resolves to
    window.requirejs.config({ paths: { anywidget: vendor + "anywidget",
                                       "@jupyter-widgets/html-manager/dist": vendor + "html-manager" } });
  }
  window.__jupyter_widgets_assets_path__ = vendor + "html-manager/";

  var hub = {
    getAllJax: function () { return null; },
    Rerender: function () {},
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset" && job[2] && window.MathJax.typesetPromise) {
          window.MathJax.typesetPromise([job[2]]).catch(function () {});
        }
      }
    },
  };
  // MathJax 3 replaces window.MathJax (Sphinx's configuration) by its own object when it loads: the stand-in
  // Hub goes onto whatever window.MathJax becomes, before any widget can ask for it.
  var current = window.MathJax;
  var withHub = function (v) { if (v && typeof v === "object" && !v.Hub) { v.Hub = hub; } return v; };
  withHub(current);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    enumerable: true,
    get: function () { return current; },
    set: function (v) { current = withHub(v); },
  });
})();
