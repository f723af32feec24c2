"""Sphinx extension: drop duplicate <script> entries from every page.

sphinx-thebe 0.3.1 registers its inline configuration script in an event that
Sphinx 7 fires twice per build, so every page declared ``const THEBE_JS_URL``
twice and the browser reported "Identifier 'THEBE_JS_URL' has already been
declared". Keeping the first copy of each script fixes it.
"""
from __future__ import annotations


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        attrs = dict(getattr(js, "attributes", {}) or {})
        attrs.pop("priority", None)
        key = (getattr(js, "filename", None) or "", repr(sorted(attrs.items())))
        if key in seen:
            continue
        seen.add(key)
        kept.append(js)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
