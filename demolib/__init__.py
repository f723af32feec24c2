"""demolib: the Deep Motif Dashboard library behind the book.

Modules: ``data`` (DNA, datasets, JASPAR), ``models`` (CNN, RNN, CNN-RNN),
``train`` (training, metrics, checkpoints), ``baselines`` (PWM scan, k-mer
regression), ``interpret`` (saliency, temporal scores, class optimization),
``attribution`` (the attribution registry), ``motifs`` (motif extraction,
Tomtom, site scanning; a package, one module per job), ``dashboard`` (the
dashboard's data), ``plots`` (drawing only), ``widgets``, ``cli``.
Submodules are imported on demand, so ``import demolib`` is cheap.
"""
__version__ = "0.1.0"
