"""Sphinx extension: no ipywidgets in the static site.

An ipywidgets app needs a Python kernel.  In the built book myst-nb would
render each one as an empty ``<script type="application/vnd.jupyter.widget-view+json">``
and load the widget manager from a CDN (require.js and
``@jupyter-widgets/html-manager``), which a closed network cannot reach; even
where it can, the controls would redraw nothing.  So in the HTML:

* widget-view outputs are dropped, and a cell output left empty by that is
  dropped too (the code cell stays, so the reader sees how to start the app
  in Jupyter or voila; the static dashboard, :func:`demolib.static_dashboard.embed`,
  is the cell after it);
* the notebook's saved widget state (a large ``<script>`` in every such page's
  head) is left out.

``nb_ipywidgets_js: {}`` in ``_config.yml`` stops myst-nb from adding the CDN
scripts.  Notebooks are not changed: live kernels and voila still show the
ipywidgets apps.
"""
from __future__ import annotations

from docutils import nodes

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _drop_widget_views(app, doctree, docname):
    emptied = []
    for raw in list(doctree.findall(nodes.raw)):
        if raw.get("format") == "html" and f'type="{WIDGET_VIEW}"' in raw.astext():
            parent = raw.parent
            parent.remove(raw)
            emptied.append(parent)
    for node in emptied:  # climb out of containers left without content (the mime bundle, the cell output)
        while node is not None and node.parent is not None and not node.children and isinstance(node, nodes.Element):
            parent = node.parent
            parent.remove(node)
            node = parent


def _drop_widget_state(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [
            js for js in scripts if (getattr(js, "attributes", {}) or {}).get("type") != WIDGET_STATE
        ]


def setup(app):
    app.connect("doctree-resolved", _drop_widget_views)
    app.connect("html-page-context", _drop_widget_state, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
