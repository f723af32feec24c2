"""Motifs from the visualizations, and their comparison with JASPAR.

The paper (Lanchantin et al. 2017, Table 3) turns each visualization into a
motif and asks Tomtom whether it matches the TF's known JASPAR motif.  This
package does that, one module per job; every public name is re-exported
here, so ``from demolib import motifs; motifs.tomtom(...)`` works:

:mod:`~demolib.motifs.windows` (pure numpy)
    window finders :func:`saliency_window`, :func:`temporal_window`,
    :func:`max_ic_window`, :func:`information_content`,
    :func:`window_overlaps`; PWMs from windows :func:`window_strings`,
    :func:`pwm_from_windows`, :func:`pwm_from_onehot_windows`,
    :func:`align_windows`; a known motif inside a longer PWM
    :func:`aligned_correlation`.
:mod:`~demolib.motifs.extraction`
    :func:`extract_motif` (:data:`METHODS`: the paper's four, the variant
    ``"conv-filter"``, then every attribution method of the registry;
    :func:`why_not` / :func:`applicable` say which apply to a model),
    :func:`conv_windows` (the paper's convolution activation: per sequence,
    the strongest first-layer activation mapped back) and
    :func:`conv_motifs` (DeepBind's per-filter motifs); :class:`Extracted`,
    :class:`ConvWindows`, :class:`ConvMotif`.
:mod:`~demolib.motifs.families`
    JASPAR TF families: :func:`family_of`, :func:`matches_known`, :func:`match_table`.
:mod:`~demolib.motifs.tomtom`
    :func:`tomtom`, :func:`tomtom_many` (memelite), :class:`Match`; its
    docstring has the notes on numba's compilation cost.
:mod:`~demolib.motifs.table3`
    :func:`table3_row`, one cell of Table 3; :func:`table3_view` and
    :func:`ranking_lines`, the table and its verdict as chapter 09 shows them.
:mod:`~demolib.motifs.scan`
    site scanning (FIMO-style, our own numpy code, no numba): :func:`scan`,
    :func:`find_sites`, :class:`Hit`.
:mod:`~demolib.motifs.warmup`
    :func:`warm_up`; ``python -m demolib.motifs --warm-up`` from the shell.

Every PWM is an ``np.ndarray`` of shape (w, 4): one row per position, columns
A, C, G, T, rows summing to 1.  Importing the package does not import torch
or memelite.
"""
from .extraction import (
    METHODS,
    PAPER_METHODS,
    VARIANTS,
    ConvMotif,
    ConvWindows,
    Extracted,
    applicable,
    conv_motifs,
    conv_windows,
    conv_windows_naive,
    extract_motif,
    why_not,
)
from .families import FAMILIES_FILE, family_of, match_table, matches_known
from .scan import Hit, find_sites, scan
from .table3 import PAPER_ORDER, clearly_above, method_columns, ranking_lines, table3_row, table3_view
from .tomtom import Match, tomtom, tomtom_many
from .warmup import warm_up
from .windows import (
    align_windows,
    aligned_correlation,
    aligned_correlation_naive,
    information_content,
    max_ic_window,
    pwm_from_onehot_windows,
    pwm_from_windows,
    saliency_window,
    temporal_window,
    window_overlaps,
    window_strings,
)

import sys as _sys

# every submodule's public names, listed once there
__all__ = [name for _mod in ("windows", "extraction", "families", "tomtom", "table3", "scan", "warmup")
           for name in _sys.modules[f"{__name__}.{_mod}"].__all__]
