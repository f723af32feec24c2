"""The architecture registry: one table that everything else reads.

``models`` builds from it, ``train`` takes its defaults from it, ``benchmark``
its budget, the CLI its choices, ``plots`` and ``widgets`` their labels.  It
imports nothing heavy (the builder is named, not imported), so the CLI can
check ``--arch`` without loading torch.  Adding an architecture: one module
with the ``nn.Module`` and one entry here (CONTRIBUTING.md).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

__all__ = ["Architecture", "ARCHITECTURES", "ARCHS", "SIZES", "architecture"]

SIZES = ("small", "medium", "large")


# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Architecture:
    """Everything the rest of the library needs to know about one architecture.

    Attributes
    ----------
    name : str
        Registry key and ``ModelConfig.arch`` ("cnn-rnn").
    label : str
        How figures and widgets name it ("CNN-RNN").
    builder : str
        ``"module:Class"`` of the ``nn.Module`` built from a ``ModelConfig``
        (imported only when a model is built, so reading the registry does
        not import torch).
    presets : dict
        Size name ("small", "medium", "large") -> ``ModelConfig`` fields.
    train_defaults : dict
        :class:`demolib.train.TrainConfig` fields that differ from its defaults.
    benchmark_budget : dict
        TrainConfig fields for ``demo benchmark`` (the same step budget for all).
    capabilities : frozenset of str
        "recurrent" (``features``/``head``: temporal output scores),
        "filters" (``first_conv``: first-layer filters to map back).
    """

    name: str
    label: str
    builder: str
    presets: dict
    train_defaults: dict
    benchmark_budget: dict
    capabilities: frozenset = frozenset()

    def build(self, config):
        """The model ``config`` describes, freshly initialised (imports the builder)."""
        module, name = self.builder.split(":")
        return getattr(importlib.import_module(module), name)(config)


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture(
            "cnn", "CNN", "demolib.models:ConvNet",
            # the reference code's default (9-5-3, 128 maps) is the medium one
            presets={"small": dict(conv_widths=(9,), conv_channels=64),
                     "medium": dict(conv_widths=(9, 5, 3), conv_channels=128),
                     "large": dict(conv_widths=(9, 5, 3, 3), conv_channels=256)},
            # max_samples: demo train's default budget, about 5 minutes on 2 cores for
            # the medium model on a 40,000-peak set; no cap in the benchmark (its own step budget)
            train_defaults=dict(epochs=30, lr=1e-3, patience=8, min_samples=50_000, max_samples=500_000),
            benchmark_budget=dict(min_steps=3000, max_steps=6000, min_samples=0, max_samples=None),
            capabilities=frozenset({"filters"}),
        ),
        Architecture(
            "rnn", "RNN", "demolib.models:RecurrentNet",
            # BiLSTM on one-hot input; medium = 32 hidden units, 1 layer
            presets={"small": dict(hidden=16, layers=1, dropout=0.2),
                     "medium": dict(hidden=32, layers=1, dropout=0.2),
                     "large": dict(hidden=64, layers=2, dropout=0.2)},
            # lr 3e-3 held for 40 epochs: on MAFK the BiLSTM leaves the AUROC-0.5
            # plateau around epoch 30 (an lr halved at epoch 20 kept it there past 50).
            # min_samples: on 500 peaks (minibatch 50) it needs ~300,000 sequences seen, as on MAFK
            # max_samples: demo train's default budget, about 5 minutes on 2 cores
            # for a medium model on a 40,000-peak set (bench/deepbind_train.py)
            train_defaults=dict(epochs=100, lr=3e-3, lr_step=40, patience=15, min_epochs=60, min_samples=300_000,
                                max_samples=1_000_000),
            benchmark_budget=dict(min_steps=3000, max_steps=6000, min_samples=0, max_samples=None),
            capabilities=frozenset({"recurrent"}),
        ),
        Architecture(
            "cnn-rnn", "CNN-RNN", "demolib.models:RecurrentNet",
            # one width-9 convolution, then the BiLSTM head
            presets={"small": dict(conv_widths=(9,), conv_channels=64, hidden=16, dropout=0.3),
                     "medium": dict(conv_widths=(9,), conv_channels=128, hidden=32, dropout=0.3),
                     "large": dict(conv_widths=(9,), conv_channels=256, hidden=64, dropout=0.3)},
            train_defaults=dict(epochs=30, lr=1e-3, patience=8, min_samples=50_000, max_samples=500_000),
            benchmark_budget=dict(min_steps=3000, max_steps=6000, min_samples=0, max_samples=None),
            capabilities=frozenset({"recurrent", "filters"}),
        ),
    )
}
ARCHS: tuple[str, ...] = tuple(ARCHITECTURES)


def architecture(name: str) -> Architecture:
    """The registry entry of an architecture; an unknown name is a ValueError naming the known ones."""
    try:
        return ARCHITECTURES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}") from None
