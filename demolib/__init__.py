"""demolib: the Deep Motif Dashboard library behind the book.

Modules: ``data`` (DNA, datasets, JASPAR), ``models`` (CNN, RNN, CNN-RNN),
``train`` (training, metrics, checkpoints), ``baselines`` (PWM scan, k-mer
regression), ``interpret`` (saliency, temporal scores, class optimization),
``motifs`` (motif extraction, Tomtom, FIMO), ``plots``, ``widgets``, ``cli``.
Submodules are imported on demand, so ``import demolib`` is cheap.
"""
__version__ = "0.1.0"
