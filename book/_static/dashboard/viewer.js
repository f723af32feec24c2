/*
 * The Deep Motif Dashboard of the static site (no kernel, no network beyond the
 * site's own files).  Data: index.json and one <dataset>.json beside this file,
 * written by `python -m demolib.static_dashboard` (demolib/static_dashboard.py
 * documents the format and the quantization).  Every <div class="demo-dashboard">
 * on the page becomes one dashboard; its data-* attributes give the first state:
 * data-dataset, data-methods (comma separated), data-archs, data-layout
 * ("method" | "arch"), data-index.
 *
 * Each such div gets `el.demoDashboard` (the Viewer): `state`, `set(change)` and
 * `step(+-1)` (both return a Promise resolved once drawn), `drawn` (the Promise of
 * the latest draw), `lastDrawMs` (performance.now() from the change to the figure
 * in the DOM, a dataset's first fetch included; also in data-draw-ms).
 *
 * Drawing follows demolib/plots.py: the same letter outlines (exported as SVG
 * paths), colours and colormaps (read from index.json), per-row normalisation
 * of heatmaps (0..max on the "saliency" colormap, symmetric on the "signed" one
 * when a row has negative values), temporal scores on 0..1, sites boxed.
 */
(function () {
  "use strict";
  if (window.DemoDashboard) { window.DemoDashboard.scan(); return; }

  var script = document.currentScript;
  var BASE = new URL(".", script ? script.src : document.baseURI).href;
  if (!document.querySelector("link[data-demo-dashboard]")) {
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = BASE + "viewer.css";
    link.setAttribute("data-demo-dashboard", "");
    document.head.appendChild(link);
  }

  var LEFT = 84, RIGHT = 10, LETTER_WIDTH = 0.95;
  var indexPromise = null;
  var datasets = new Map();
  var counter = 0;

  function getJSON(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  function loadIndex() {
    if (!indexPromise) indexPromise = getJSON(BASE + "index.json");
    return indexPromise;
  }

  function decodeBlock(b) {
    var bin = atob(b.data), n = bin.length, u = new Uint8Array(n);
    for (var i = 0; i < n; i++) u[i] = bin.charCodeAt(i);
    return b.dtype === "int8" ? new Int8Array(u.buffer) : u;
  }

  function loadDataset(index, name) {
    if (!datasets.has(name)) {
      var entry = index.datasets.find(function (d) { return d.name === name; });
      if (!entry) return Promise.reject(new Error("unknown dataset " + name));
      datasets.set(name, getJSON(BASE + entry.file).then(prepare));
    }
    return datasets.get(name);
  }

  // Decode every quantized block once; keep per-row maxima for the colour scales.
  function prepare(ds) {
    var L = ds.length;
    ds.archs.forEach(function (a) {
      var m = ds.models[a];
      Object.keys(m.methods).forEach(function (k) {
        var b = m.methods[k];
        if (b.not_applicable !== undefined) return;
        b.q = decodeBlock(b);
        b.rowMax = new Float64Array(ds.n);
        b.rowMaxAbs = new Float64Array(ds.n);
        for (var i = 0; i < ds.n; i++) {
          var mx = -Infinity, ma = 0;
          for (var j = 0; j < L; j++) {
            var v = b.q[i * L + j];
            if (v > mx) mx = v;
            if (Math.abs(v) > ma) ma = Math.abs(v);
          }
          b.rowMax[i] = mx; b.rowMaxAbs[i] = ma;
        }
      });
      if (m.temporal) {
        m.temporal.forward.q = decodeBlock(m.temporal.forward);
        m.temporal.backward.q = decodeBlock(m.temporal.backward);
      }
    });
    return ds;
  }

  // ---------------------------------------------------------------- helpers
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }
  function f(x, d) { return (+x).toFixed(d === undefined ? 1 : d).replace(/\.0+$/, ""); }
  function cmapColor(cmap, x) {
    var i = Math.floor(x * cmap.length);
    if (!(i >= 0)) i = 0;
    if (i >= cmap.length) i = cmap.length - 1;
    return cmap[i];
  }
  function labelOf(list, name) {
    var e = list.find(function (x) { return x.name === name; });
    return e ? e.label : name;
  }

  // Stacked letters of one logo column, biggest on top (as plots._stack).
  function stack(h) {
    var order = [0, 1, 2, 3].sort(function (a, b) { return h[a] - h[b] || a - b; });
    var floor = 0, out = [];
    order.forEach(function (k) { out.push([k, floor, floor + h[k]]); floor += h[k]; });
    return out;
  }

  // First position from which the forward score stays >= 0.5, last position up to
  // which the backward score is >= 0.5; -1 when it never crosses (as
  // demolib.interpret.flip_positions; q >= 128 <=> score >= 0.5, see the writer).
  function flips(fq, bq, off, L) {
    var lastBelow = -1, nBelow = 0, firstBelow = -1, nbBelow = 0;
    for (var j = 0; j < L; j++) {
      if (fq[off + j] < 128) { lastBelow = j; nBelow++; }
      if (bq[off + j] < 128) { if (firstBelow < 0) firstBelow = j; nbBelow++; }
    }
    return [nBelow > 0 && nBelow < L ? lastBelow + 1 : -1, nbBelow > 0 && nbBelow < L ? firstBelow - 1 : -1];
  }

  function topPosition(q, off, L) {
    var best = 0;
    for (var j = 1; j < L; j++) if (q[off + j] > q[off + best]) best = j;
    return best;
  }

  function siteGroups(sites) {
    var s = sites.slice().sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; }), groups = [];
    s.forEach(function (t) {
      var g = groups[groups.length - 1];
      if (g && t[0] < g.end) { g.items.push(t); g.end = Math.max(g.end, t[1]); }
      else groups.push({start: t[0], end: t[1], items: [t]});
    });
    return groups.map(function (g) {
      var strands = [];
      g.items.forEach(function (t) { var c = t[2] >= 0 ? "+" : "-"; if (strands.indexOf(c) < 0) strands.push(c); });
      return {start: g.start, text: strands.join("/")};
    });
  }

  // ---------------------------------------------------------------- the viewer
  function Viewer(el, index) {
    this.el = el;
    this.index = index;
    this.uid = "dd" + (++counter);
    this.logoCache = new Map();
    this.draws = 0;
    this.lastDrawMs = NaN;
    var names = index.datasets.map(function (d) { return d.name; });
    var want = el.getAttribute("data-dataset");
    var archs = (el.getAttribute("data-archs") || index.archs.map(function (a) { return a.name; }).join(","));
    var methods = el.getAttribute("data-methods") || "classopt,saliency,temporal";
    this.state = {
      dataset: names.indexOf(want) >= 0 ? want : names[0],
      index: Math.max(0, parseInt(el.getAttribute("data-index") || "0", 10) || 0),
      archs: new Set(archs.split(",").filter(Boolean)),
      methods: new Set(methods.split(",").filter(Boolean)),
      layout: el.getAttribute("data-layout") === "arch" ? "arch" : "method"
    };
    this.build();
  }

  Viewer.prototype.build = function () {
    var self = this, idx = this.index, st = this.state, id = this.uid;
    var opts = idx.datasets.map(function (d) {
      var extra = d.kind === "synthetic" ? " (synthetic, planted " + d.tf + ")" : "";
      return "<option value=\"" + esc(d.name) + "\">" + esc(d.name + extra) + "</option>";
    }).join("");
    var archBoxes = idx.archs.map(function (a) {
      return "<label><input type=\"checkbox\" class=\"dd-arch\" value=\"" + esc(a.name) + "\"> " + esc(a.label) + "</label>";
    }).join("");
    var methodList = idx.panels.concat(idx.methods);
    var methodBoxes = methodList.map(function (m) {
      var title = m.description ? " title=\"" + esc(m.description) + "\"" : "";
      return "<label" + title + "><input type=\"checkbox\" class=\"dd-method\" value=\"" + esc(m.name) + "\"> " +
        esc(m.label) + "</label>";
    }).join("");
    this.glyphs = {};
    Object.keys(idx.glyphs).forEach(function (c) { self.glyphs[c] = new Path2D(idx.glyphs[c]); });
    this.el.innerHTML =
      "<div class=\"dd-controls\">" +
      "<div class=\"dd-row\"><label>TF <select class=\"dd-tf\">" + opts + "</select></label>" +
      "<button type=\"button\" class=\"dd-prev\" title=\"previous sequence (ArrowLeft)\">&#9664;</button>" +
      "<input type=\"range\" class=\"dd-seq\" min=\"0\" max=\"0\" value=\"0\" aria-label=\"sequence\">" +
      "<button type=\"button\" class=\"dd-next\" title=\"next sequence (ArrowRight)\">&#9654;</button>" +
      "<span class=\"dd-readout\"></span></div>" +
      "<div class=\"dd-row\"><span class=\"dd-caption\">models</span>" + archBoxes +
      "<span class=\"dd-caption\">layout</span>" +
      "<label><input type=\"radio\" name=\"" + id + "-layout\" class=\"dd-layout\" value=\"method\"> by method</label>" +
      "<label><input type=\"radio\" name=\"" + id + "-layout\" class=\"dd-layout\" value=\"arch\"> by architecture</label></div>" +
      "<div class=\"dd-row\"><span class=\"dd-caption\">rows</span>" + methodBoxes + "</div>" +
      "</div><div class=\"dd-figure\" tabindex=\"0\" aria-label=\"dashboard figure; ArrowLeft / ArrowRight change the sequence\"></div>" +
      "<div class=\"dd-tip\" hidden></div>";
    this.tf = this.el.querySelector(".dd-tf");
    this.seq = this.el.querySelector(".dd-seq");
    this.fig = this.el.querySelector(".dd-figure");
    this.tip = this.el.querySelector(".dd-tip");
    this.readout = this.el.querySelector(".dd-readout");
    this.tf.value = st.dataset;
    this.el.querySelectorAll(".dd-arch").forEach(function (b) { b.checked = st.archs.has(b.value); });
    this.el.querySelectorAll(".dd-method").forEach(function (b) { b.checked = st.methods.has(b.value); });
    this.el.querySelectorAll(".dd-layout").forEach(function (b) { b.checked = b.value === st.layout; });

    this.tf.addEventListener("change", function () { self.set({dataset: self.tf.value, index: 0}); });
    this.seq.addEventListener("input", function () { self.set({index: +self.seq.value}); });
    this.el.querySelector(".dd-prev").addEventListener("click", function () { self.step(-1); });
    this.el.querySelector(".dd-next").addEventListener("click", function () { self.step(1); });
    this.el.querySelectorAll(".dd-arch").forEach(function (b) {
      b.addEventListener("change", function () {
        var s = new Set(st.archs); if (b.checked) s.add(b.value); else s.delete(b.value); self.set({archs: s});
      });
    });
    this.el.querySelectorAll(".dd-method").forEach(function (b) {
      b.addEventListener("change", function () {
        var s = new Set(st.methods); if (b.checked) s.add(b.value); else s.delete(b.value); self.set({methods: s});
      });
    });
    this.el.querySelectorAll(".dd-layout").forEach(function (b) {
      b.addEventListener("change", function () { if (b.checked) self.set({layout: b.value}); });
    });
    this.el.addEventListener("keydown", function (e) {
      var t = e.target;
      // the slider, the menu and the layout radios use the arrow keys themselves
      if (t.tagName === "SELECT" || (t.tagName === "INPUT" && (t.type === "range" || t.type === "radio"))) return;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        e.preventDefault();
        self.step(e.key === "ArrowLeft" ? -1 : 1);
      }
    });
    this.fig.addEventListener("mousemove", function (e) { self.hover(e); });
    this.fig.addEventListener("mouseleave", function () { self.tip.hidden = true; });
    this.ready = this.set({});
  };

  Viewer.prototype.step = function (d) {
    if (!this.data) return Promise.resolve();
    var i = Math.min(this.data.n - 1, Math.max(0, this.state.index + d));
    return i === this.state.index ? Promise.resolve() : this.set({index: i});
  };

  // Change the state and redraw; resolves when drawn.  lastDrawMs: from the
  // call (the control's event) to the figure in the DOM, a dataset fetch included.
  Viewer.prototype.set = function (change) {
    var self = this, t0 = performance.now();
    Object.keys(change).forEach(function (k) { self.state[k] = change[k]; });
    var token = {};
    this.pending = token;
    this.drawn = loadDataset(this.index, this.state.dataset).then(function (ds) {
      if (self.pending !== token) return;
      self.data = ds;
      self.state.index = Math.min(self.state.index, ds.n - 1);
      self.draw();
      self.lastDrawMs = performance.now() - t0;
      self.draws += 1;
      self.el.setAttribute("data-draw-ms", self.lastDrawMs.toFixed(2));
      self.el.setAttribute("data-draws", String(self.draws));
      if (self.draws === 1) self.el.setAttribute("data-first-draw-at", performance.now().toFixed(2));
    }).catch(function (err) {
      self.fig.innerHTML = "<p class=\"dd-error\">The dashboard data could not be loaded: " + esc(err.message) + "</p>";
      throw err;
    });
    return this.drawn;
  };

  // The figure: panels are HTML (titles, data-* attributes with the values shown)
  // around one <canvas> each, painted after the HTML is in place.  Logos do not
  // depend on the sequence: their canvases are painted once and reused.
  Viewer.prototype.draw = function () {
    var ds = this.data, st = this.state, idx = this.index, i = st.index, self = this;
    this.tf.value = st.dataset;
    this.seq.max = String(ds.n - 1);
    this.seq.value = String(i);
    this.el.querySelectorAll(".dd-arch").forEach(function (b) { b.disabled = ds.archs.indexOf(b.value) < 0; });
    var width = Math.max(420, Math.floor(this.fig.clientWidth || this.el.clientWidth || 800));
    this.geom = {width: width, px: (width - LEFT - RIGHT) / ds.length};
    this.painters = [];
    this.readout.textContent = "sequence " + (i + 1) + " of " + ds.n + " (positive test sequence " +
      ds.sample[i] + " of " + ds.n_positives + ")";
    var archs = ds.archs.filter(function (a) { return st.archs.has(a); });
    var attrMethods = idx.methods.filter(function (m) { return m.kind === "attribution" && st.methods.has(m.name); });
    var temporal = idx.methods.some(function (m) { return m.kind === "temporal" && st.methods.has(m.name); });
    var out = ["<div class=\"dd-head\">" + esc(ds.dataset) + " &nbsp;test sequence " + esc(ds.ids[i]) +
      " &nbsp;(label: bound)</div>"];
    if (!archs.length) out.push("<p class=\"dd-note\">Select at least one model.</p>");
    var motif = function () { out.push(self.motifPanel()); };
    var classopt = function (a) { if (st.methods.has("classopt")) out.push(self.classoptPanel(a)); };
    var attr = function (a, m) { out.push(self.attrPanel(a, m)); };
    var temp = function (a) { out.push(self.temporalPanel(a)); };
    if (st.layout === "arch") {
      motif();
      archs.forEach(function (a) {
        out.push("<div class=\"dd-group\">" + esc(labelOf(idx.archs, a)) + "</div>");
        classopt(a);
        attrMethods.forEach(function (m) { attr(a, m.name); });
        if (temporal) temp(a);
      });
      if (temporal && archs.length) out.push("<div class=\"dd-group\">" + this.colorbar() + "</div>");
    } else {
      if (st.methods.has("classopt") && archs.length) {
        out.push("<div class=\"dd-group\">Class optimization</div>");
        archs.forEach(classopt);
      }
      attrMethods.forEach(function (m) {
        out.push("<div class=\"dd-group\">" + esc(m.label) + "</div>");
        archs.forEach(function (a) { attr(a, m.name); });
      });
      if (temporal) {
        out.push("<div class=\"dd-group\">Temporal output scores " + this.colorbar() + "</div>");
        archs.forEach(temp);
      }
      motif();
    }
    this.fig.innerHTML = out.join("");
    var dpr = window.devicePixelRatio || 1;
    this.fig.querySelectorAll("canvas[data-k]").forEach(function (c) {
      var p = self.painters[+c.getAttribute("data-k")];
      if (p.cacheKey && self.logoCache.has(p.cacheKey)) { c.replaceWith(self.logoCache.get(p.cacheKey)); return; }
      var h = +c.getAttribute("data-h");
      c.width = Math.round(width * dpr);
      c.height = Math.round(h * dpr);
      c.style.width = width + "px";
      c.style.height = h + "px";
      var ctx = c.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      p.paint(ctx, dpr);
      if (p.cacheKey) self.logoCache.set(p.cacheKey, c);
    });
  };

  // A panel: title, data-* attributes and a canvas painted by paint(ctx, dpr).
  Viewer.prototype.panel = function (attrs, title, height, paint, cacheKey) {
    var k = this.painters.length;
    this.painters.push({paint: paint, cacheKey: cacheKey || null});
    var a = Object.keys(attrs).map(function (n) { return " data-" + n + "=\"" + esc(attrs[n]) + "\""; }).join("");
    return "<div class=\"dd-panel\"" + a + "><div class=\"dd-title\">" + title + "</div><canvas class=\"dd-canvas\" data-k=\"" +
      k + "\" data-h=\"" + height + "\" height=\"" + height + "\"></canvas></div>";
  };

  Viewer.prototype.colorbar = function () {
    var c = this.index.colormaps.temporal, stops = [];
    for (var k = 0; k <= 10; k++) stops.push(cmapColor(c, k / 10) + " " + (k * 10) + "%");
    return "<span class=\"dd-cbar\"><span>P(bound) 0</span><span class=\"dd-cbar-ramp\" style=\"background:" +
      "linear-gradient(to right," + stops.join(",") + ")\"></span><span>1</span></span>";
  };

  Viewer.prototype.naPanel = function (a, what, reason) {
    return "<div class=\"dd-panel dd-na\" data-panel=\"na\" data-arch=\"" + esc(a) + "\" data-method=\"" + esc(what) +
      "\"><div class=\"dd-title\">" + esc(labelOf(this.index.archs, a)) + ": " +
      esc(what === "classopt" ? "class optimization" : labelOf(this.index.methods, what)) +
      ": not applicable</div><div class=\"dd-reason\">" + esc(reason) + "</div></div>";
  };

  // One letter: glyph c filling the box (x, y) - (x + w, y + h), y down.
  Viewer.prototype.letter = function (ctx, dpr, c, x, y, w, h) {
    ctx.setTransform(dpr * w, 0, 0, dpr * h, dpr * x, dpr * y);
    ctx.fillStyle = this.index.colors[c];
    ctx.fill(this.glyphs[c]);
  };

  // Stacked letters of a logo (heights w x 4 in bits) from baseline y0, perBit px per bit.
  Viewer.prototype.logoLetters = function (ctx, dpr, heights, y0, perBit) {
    var px = this.geom.px, lw = px * LETTER_WIDTH, self = this;
    for (var p = 0; p < heights.length; p++) {
      var x = LEFT + p * px + px * (1 - LETTER_WIDTH) / 2;
      stack(heights[p]).forEach(function (s) {
        var h = (s[2] - s[1]) * perBit;
        if (h > 1e-3) self.letter(ctx, dpr, "ACGT"[s[0]], x, y0 - s[2] * perBit, lw, h);
      });
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  };

  Viewer.prototype.seqLetters = function (ctx, dpr, seq, y, h) {
    var px = this.geom.px, lw = px * LETTER_WIDTH;
    for (var j = 0; j < seq.length; j++) this.letter(ctx, dpr, seq[j], LEFT + j * px + px * (1 - LETTER_WIDTH) / 2, y, lw, h);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  };

  Viewer.prototype.ticks = function (ctx, L, y) {
    var px = this.geom.px;
    ctx.strokeStyle = "#000"; ctx.lineWidth = 0.8; ctx.fillStyle = "#000";
    ctx.font = "9px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "alphabetic";
    ctx.beginPath();
    for (var j = 0; j < L; j += 10) {
      var x = LEFT + (j + 0.5) * px;
      ctx.moveTo(x, y); ctx.lineTo(x, y + 3);
      ctx.fillText(String(j), x, y + 12);
    }
    ctx.stroke();
  };

  Viewer.prototype.ylabel = function (ctx, text, x, y) {
    ctx.fillStyle = "#000"; ctx.font = "9px sans-serif"; ctx.textAlign = "end"; ctx.textBaseline = "middle";
    ctx.fillText(text, x, y);
  };

  Viewer.prototype.logo = function (ctx, dpr, heights, window, k, height) {
    var px = this.geom.px, y0 = height - 4, perBit = (height - 8) / 2;
    if (window !== null) {
      ctx.fillStyle = this.index.window_shade;
      ctx.fillRect(LEFT + window * px, 2, k * px, height - 6);
    }
    ctx.strokeStyle = "#000"; ctx.lineWidth = 0.8;
    ctx.beginPath(); ctx.moveTo(LEFT - 4, y0 - 2 * perBit); ctx.lineTo(LEFT - 4, y0); ctx.stroke();
    this.ylabel(ctx, "2", LEFT - 7, y0 - 2 * perBit);
    this.ylabel(ctx, "0", LEFT - 7, y0);
    this.ylabel(ctx, "bits", LEFT - 22, y0 - perBit);
    this.logoLetters(ctx, dpr, heights, y0, perBit);
  };

  Viewer.prototype.classoptPanel = function (a) {
    var ds = this.data, m = ds.models[a], self = this;
    if (!m || !m.classopt) return this.naPanel(a, "classopt", "no class-optimized PWM in the payload");
    var c = m.classopt;
    var title = esc(labelOf(this.index.archs, a)) + ": class optimization (shaded: max-IC " + c.k + "-mer, bp " +
      c.window + "-" + (c.window + c.k - 1) + ")";
    return this.panel({panel: "classopt", arch: a, window: c.window}, title, 56, function (ctx, dpr) {
      self.logo(ctx, dpr, c.heights, c.window, c.k, 56);
    }, ds.dataset + "|" + a + "|" + this.geom.width);
  };

  Viewer.prototype.motifPanel = function () {
    var ds = this.data, mo = ds.motif, self = this;
    return this.panel({panel: "motif", arch: "-"}, "known motif: JASPAR " + esc(mo.id) + " " + esc(mo.name), 56,
      function (ctx, dpr) { self.logo(ctx, dpr, mo.heights, null, 0, 56); }, ds.dataset + "|motif|" + this.geom.width);
  };

  // Known sites boxed (solid), with "NAME (+/-)" above; on synthetic sets the
  // planted sites solid and the JASPAR scan's other sites dashed.
  Viewer.prototype.sites = function (ctx, y, h) {
    var ds = this.data, i = this.state.index, px = this.geom.px, name = ds.tf;
    var boxes = function (sites, dashed, suffix) {
      ctx.setLineDash(dashed ? [3, 2] : []);
      ctx.strokeStyle = dashed ? "#555" : "#000";
      ctx.lineWidth = 1.2;
      sites.forEach(function (s) { ctx.strokeRect(LEFT + s[0] * px, y, (s[1] - s[0]) * px, h); });
      ctx.setLineDash([]);
      ctx.fillStyle = "#000"; ctx.font = "9px sans-serif"; ctx.textAlign = "start"; ctx.textBaseline = "alphabetic";
      siteGroups(sites).forEach(function (g) { ctx.fillText(name + " (" + g.text + ")" + suffix, LEFT + g.start * px, y - 2); });
    };
    if (ds.planted) {
      boxes(ds.planted[i], false, " planted");
      boxes(ds.sites[i].filter(function (s) {
        return !ds.planted[i].some(function (p) { return p[0] === s[0] && p[1] === s[1]; });
      }), true, "");
    } else {
      boxes(ds.sites[i], false, "");
    }
  };

  Viewer.prototype.attrPanel = function (a, method) {
    var ds = this.data, i = this.state.index, L = ds.length, m = ds.models[a], self = this;
    var b = m.methods[method];
    if (b === undefined) return this.naPanel(a, method, "not computed for the payload");
    if (b.not_applicable !== undefined) return this.naPanel(a, method, b.not_applicable);
    var off = i * L, signed = b.dtype === "int8", cmap = signed ? this.index.colormaps.signed : this.index.colormaps.saliency;
    var mx = signed ? b.rowMaxAbs[i] : b.rowMax[i], top = topPosition(b.q, off, L), prob = m.prob[i];
    var yRow = 14, hRow = 18, yLet = yRow + hRow + 1, hLet = 13, yTick = yLet + hLet + 2, H = yTick + 14;
    var title = esc(labelOf(this.index.archs, a)) + ": " + esc(labelOf(this.index.methods, method)) +
      " &nbsp; P(bound) = <span class=\"dd-prob\">" + prob.toFixed(3) + "</span> &nbsp; top: bp <span class=\"dd-top\">" +
      top + "</span>";
    return this.panel({panel: "attr", arch: a, method: method, prob: prob, top: top}, title, H, function (ctx, dpr) {
      var px = self.geom.px;
      for (var j = 0; j < L; j++) {
        var v = b.q[off + j], x = signed ? (mx > 0 ? (v / mx + 1) / 2 : 0.5) : (mx > 0 ? v / mx : 0);
        ctx.fillStyle = cmapColor(cmap, x);
        ctx.fillRect(LEFT + j * px, yRow, px + 0.5, hRow);
      }
      self.seqLetters(ctx, dpr, ds.seqs[i], yLet, hLet);
      self.sites(ctx, yRow, yLet + hLet - yRow);
      self.ticks(ctx, L, yTick);
    });
  };

  Viewer.prototype.temporalPanel = function (a) {
    var ds = this.data, i = this.state.index, L = ds.length, m = ds.models[a], self = this;
    if (!m.temporal) {
      var t = m.methods.temporal;
      return this.naPanel(a, "temporal", t && t.not_applicable ? t.not_applicable : "no temporal output scores");
    }
    var off = i * L, cmap = this.index.colormaps.temporal, fq = m.temporal.forward.q, bq = m.temporal.backward.q;
    var fl = flips(fq, bq, off, L), rows = [["forward", fq, 14], ["backward", bq, 30]];
    var yLet = 47, hLet = 13, yTick = yLet + hLet + 2;
    var fText = fl[0] < 0 ? "never crosses 0.5" : fl[0] >= L ? "ends below 0.5" : "above 0.5 from bp " + fl[0];
    var bText = fl[1] < 0 ? "never crosses 0.5" : "above 0.5 up to bp " + fl[1];
    var title = esc(labelOf(this.index.archs, a)) + ": temporal output scores &nbsp; P(bound) = <span class=\"dd-prob\">" +
      m.prob[i].toFixed(3) + "</span> &nbsp; forward: <span class=\"dd-flip-forward\">" + fText +
      "</span>; backward: <span class=\"dd-flip-backward\">" + bText + "</span>";
    return this.panel({panel: "temporal", arch: a, method: "temporal", prob: m.prob[i], "flip-forward": fl[0],
      "flip-backward": fl[1]}, title, yTick + 14, function (ctx, dpr) {
      var px = self.geom.px;
      rows.forEach(function (r) {
        self.ylabel(ctx, r[0], LEFT - 5, r[2] + 7.5);
        for (var j = 0; j < L; j++) {
          ctx.fillStyle = cmapColor(cmap, r[1][off + j] / 255);
          ctx.fillRect(LEFT + j * px, r[2], px + 0.5, 15);
        }
      });
      self.seqLetters(ctx, dpr, ds.seqs[i], yLet, hLet);
      self.sites(ctx, 14, yLet + hLet - 14);
      self.ticks(ctx, L, yTick);
    });
  };

  // Hover: position, base and value under the pointer.
  Viewer.prototype.hover = function (e) {
    var panel = e.target.closest ? e.target.closest(".dd-panel") : null, ds = this.data;
    if (!panel || !ds || panel.getAttribute("data-panel") === "na") { this.tip.hidden = true; return; }
    var canvas = panel.querySelector("canvas");
    var r = canvas.getBoundingClientRect(), j = Math.floor((e.clientX - r.left - LEFT) / this.geom.px);
    var kind = panel.getAttribute("data-panel"), a = panel.getAttribute("data-arch"), i = this.state.index;
    var text = null;
    if (kind === "motif" || kind === "classopt") {
      var h = kind === "motif" ? ds.motif.heights : ds.models[a].classopt.heights;
      var pwm = kind === "motif" ? ds.motif.pwm : ds.models[a].classopt.pwm;
      if (j >= 0 && j < h.length) {
        var best = 0;
        for (var k = 1; k < 4; k++) if (pwm[j][k] > pwm[j][best]) best = k;
        text = "position " + j + " · " + "ACGT"[best] + " · p = " + pwm[j][best].toFixed(3) + ", " +
          h[j][best].toFixed(3) + " bits (column: " + (h[j][0] + h[j][1] + h[j][2] + h[j][3]).toFixed(3) + " bits)";
      }
    } else if (j >= 0 && j < ds.length) {
      var base = ds.seqs[i][j], m = ds.models[a], off = i * ds.length + j;
      if (kind === "attr") {
        var meth = panel.getAttribute("data-method"), b = m.methods[meth];
        text = "bp " + j + " · " + base + " · " + labelOf(this.index.methods, meth) + " = " +
          (b.q[off] * b.scale[i]).toPrecision(3);
      } else {
        text = "bp " + j + " · " + base + " · forward P(bound) = " + (m.temporal.forward.q[off] / 255).toFixed(3) +
          ", backward P(bound) = " + (m.temporal.backward.q[off] / 255).toFixed(3);
        var t = m.methods.temporal;
        if (t && t.q) text += " · change = " + (t.q[off] * t.scale[i]).toPrecision(3);
      }
    }
    if (text === null) { this.tip.hidden = true; return; }
    this.tip.textContent = text;
    this.tip.hidden = false;
    var box = this.el.getBoundingClientRect();
    this.tip.style.left = (e.clientX - box.left + 12) + "px";
    this.tip.style.top = (e.clientY - box.top + 14) + "px";
  };

  // ---------------------------------------------------------------- page hook
  function scan() {
    var els = Array.prototype.slice.call(document.querySelectorAll("div.demo-dashboard:not([data-dd-ready])"));
    if (!els.length) return Promise.resolve([]);
    els.forEach(function (el) { el.setAttribute("data-dd-ready", "loading"); });
    return loadIndex().then(function (index) {
      return Promise.all(els.map(function (el) {
        var v = new Viewer(el, index);
        el.demoDashboard = v;
        return v.ready.then(function () { el.setAttribute("data-dd-ready", "yes"); return v; });
      }));
    }).catch(function (err) {
      els.forEach(function (el) {
        el.setAttribute("data-dd-ready", "error");
        el.innerHTML = "<p class=\"dd-error\">The dashboard could not be loaded: " + esc(err.message) + "</p>";
      });
      return [];
    });
  }

  window.DemoDashboard = {scan: scan, base: BASE};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
})();
