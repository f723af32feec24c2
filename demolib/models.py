"""The three DeMo architectures: CNN, bidirectional-LSTM RNN and CNN-RNN.

Every model takes one-hot DNA ``X : torch.Tensor, shape (N, 4, L)`` (ACGT rows)
and returns class logits of shape ``(N, 2)`` (column 1 = bound).  One
:class:`ModelConfig` rebuilds any model, so a checkpoint stores only the config
and the weights.

Shared interface (used by :mod:`demolib.interpret` and :mod:`demolib.motifs`):

``model(X)``
    logits, shape (N, 2).
``model.config``
    the :class:`ModelConfig` the model was built from.
``model.first_conv``
    the first ``nn.Conv1d`` (first-layer filters, shape (C, 4, w)), or ``None``
    for the plain RNN.
``model.features(X)`` (recurrent models only)
    the sequence fed to the recurrent head, shape (N, C, L): the one-hot input
    itself for the RNN, the ReLU'd convolution output for the CNN-RNN.
``model.head(F, lengths=None)`` (recurrent models only)
    logits of a feature sequence ``F``, shape (N, C, T), of any length ``T``;
    ``lengths`` (N,) marks left-aligned, right-padded sequences of different
    lengths, so prefixes and suffixes can be scored in one batch.
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .architectures import ARCHITECTURES, ARCHS, SIZES, Architecture, architecture

__all__ = [
    "Architecture",
    "ARCHITECTURES",
    "architecture",
    "ARCHS",
    "SIZES",
    "ModelConfig",
    "preset",
    "build_model",
    "count_parameters",
    "is_recurrent",
    "ConvNet",
    "RecurrentHead",
    "RecurrentNet",
]



@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a model.

    Attributes
    ----------
    arch : str
        A key of :data:`ARCHITECTURES` ("cnn", "rnn", "cnn-rnn").
    size : {"small", "medium", "large", "custom"}
        Name of the preset this config came from (informational).
    seq_len : int
        Input length L the model is trained on (101 in the paper).
    conv_widths : tuple of int
        Filter widths of the convolution layers (CNN: all layers;
        CNN-RNN: only the first is used).
    conv_channels : int
        Feature maps per convolution layer.
    pool : int
        Max-pool size between CNN layers (the last layer pools over the
        whole length).
    hidden : int
        LSTM hidden units per direction.
    layers : int
        Stacked LSTM layers.
    bidirectional : bool
        False gives the unidirectional (forward-only) variant.
    dropout : float
        Dropout before the classifier (and after each CNN block).
    n_classes : int
        Output classes; 2 for bound / unbound.
    """

    arch: str
    size: str = "medium"
    seq_len: int = 101
    conv_widths: tuple[int, ...] = (9, 5, 3)
    conv_channels: int = 128
    pool: int = 2
    hidden: int = 32
    layers: int = 1
    bidirectional: bool = True
    dropout: float = 0.5
    n_classes: int = 2

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHS)}")
        for name, low in (("seq_len", 1), ("conv_channels", 1), ("pool", 1), ("hidden", 1), ("layers", 1),
                          ("n_classes", 2)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
                raise ValueError(f"model config field {name} must be an integer >= {low}, got {v!r}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, numbers.Real) or not 0 <= self.dropout < 1:
            raise ValueError(f"model config field dropout must be in [0, 1), got {self.dropout!r}")
        widths = self.conv_widths
        if not widths or any(isinstance(w, bool) or not isinstance(w, numbers.Integral) for w in widths):
            raise ValueError(f"model config field conv_widths must be positive integers, got {widths!r}")
        if any(w < 1 for w in self.conv_widths):
            raise ValueError(f"conv_widths must be positive, got {self.conv_widths}")
        if self.arch == "cnn" and min_length(self) > self.seq_len:
            raise ValueError(
                f"a CNN with widths {self.conv_widths} and pool {self.pool} needs "
                f"sequences of at least {min_length(self)} bp, seq_len is {self.seq_len}"
            )

    def to_dict(self) -> dict:
        """JSON-ready dict (tuples become lists)."""
        d = dataclasses.asdict(self)
        d["conv_widths"] = list(self.conv_widths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        extra = set(d) - known
        if extra:
            raise ValueError(f"unknown model config keys: {sorted(extra)}")
        d = dict(d)
        if "conv_widths" in d:
            d["conv_widths"] = tuple(int(w) for w in d["conv_widths"])
        return cls(**d)


def min_length(config: ModelConfig) -> int:
    """Shortest input a CNN config can process (1 for recurrent models)."""
    if config.arch != "cnn":
        return 1
    n = 1
    for i, w in enumerate(reversed(config.conv_widths)):
        if i > 0:
            n *= config.pool
        n += w - 1
    return n




def preset(arch: str, size: str = "medium", **overrides) -> ModelConfig:
    """Config of one of the nine presets, optionally with fields overridden.

    Examples
    --------
    >>> preset("cnn-rnn", "medium").hidden
    32
    >>> preset("rnn", bidirectional=False).bidirectional
    False
    """
    spec = architecture(arch)
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    return ModelConfig(arch=arch, size=size, **{**spec.presets[size], **overrides})


class ConvNet(nn.Module):
    """CNN: [Conv1d -> ReLU -> MaxPool -> Dropout] x k, global max-pool, linear.

    The last convolution is max-pooled over the whole remaining length, so each
    feature map contributes its single strongest match (DeepBind-style).
    Convolutions are unpadded ("valid"), as in the reference code.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        c_in = 4
        for i, w in enumerate(config.conv_widths):
            layers.append(nn.Conv1d(c_in, config.conv_channels, w))
            layers.append(nn.ReLU())
            if i < len(config.conv_widths) - 1:
                layers.append(nn.MaxPool1d(config.pool))
                layers.append(nn.Dropout(config.dropout))
            c_in = config.conv_channels
        self.conv = nn.Sequential(*layers)
        self.dropout = nn.Dropout(config.dropout)
        self.linear = nn.Linear(config.conv_channels, config.n_classes)

    @property
    def first_conv(self) -> nn.Conv1d:
        return self.conv[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, 4, L) one-hot -> logits (N, n_classes)."""
        h = self.conv(x)  # (N, C, L')
        h = h.amax(dim=2)  # (N, C)
        return self.linear(self.dropout(h))


class RecurrentHead(nn.Module):
    """(Bi)LSTM over a feature sequence; each direction's outputs are averaged
    over time, the means are concatenated and classified by a linear layer.

    Works on any sequence length; with ``lengths`` the padded positions of
    right-padded sequences are ignored (the backward direction then starts at
    each sequence's own last position), which is what scores prefixes and
    suffixes of different lengths in one batch.
    """

    def __init__(self, in_channels: int, config: ModelConfig):
        super().__init__()
        self.bidirectional = config.bidirectional
        self.lstm = nn.LSTM(
            in_channels,
            config.hidden,
            num_layers=config.layers,
            batch_first=True,
            bidirectional=config.bidirectional,
        )
        # Forget-gate bias 1 (gate order i, f, g, o): keeps the plateau short.
        with torch.no_grad():
            h = config.hidden
            for name, p in self.lstm.named_parameters():
                if name.startswith("bias_ih"):
                    p[h : 2 * h].fill_(1.0)
                elif name.startswith("bias_hh"):
                    p[h : 2 * h].fill_(0.0)
        n_dir = 2 if config.bidirectional else 1
        self.dropout = nn.Dropout(config.dropout)
        self.linear = nn.Linear(n_dir * config.hidden, config.n_classes)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """feats : (N, C, T); lengths : (N,) int or None -> logits (N, n_classes)."""
        seq = feats.transpose(1, 2)  # (N, T, C)
        if lengths is None:
            out, _ = self.lstm(seq)  # (N, T, D*H)
            pooled = out.mean(dim=1)
        else:
            lengths = torch.as_tensor(lengths, dtype=torch.int64, device="cpu")
            packed = pack_padded_sequence(seq, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=seq.shape[1])
            pooled = out.sum(dim=1) / lengths.to(out.device, out.dtype).unsqueeze(1)
        return self.classify(pooled)

    def classify(self, pooled: torch.Tensor) -> torch.Tensor:
        """The classifier step: time-averaged LSTM outputs -> logits.

        pooled : (..., D*H), each direction's mean output over time,
        concatenated -> logits (..., n_classes).  The batched temporal scores
        (:func:`demolib.interpret.temporal_scores`) call it on the pooled
        outputs of every prefix and suffix at once.
        """
        return self.linear(self.dropout(pooled))


class RecurrentNet(nn.Module):
    """RNN (``conv=None``) or CNN-RNN (one same-padded Conv1d + ReLU first)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        if config.arch == "cnn-rnn":
            w = config.conv_widths[0]
            self.conv = nn.Conv1d(4, config.conv_channels, w, padding="same")
            in_ch = config.conv_channels
        else:
            self.conv = None
            in_ch = 4
        self.head = RecurrentHead(in_ch, config)

    @property
    def first_conv(self) -> nn.Conv1d | None:
        return self.conv

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, 4, L) -> sequence for the recurrent head, (N, C, L)."""
        if self.conv is None:
            return x
        return torch.relu(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, 4, L) one-hot -> logits (N, n_classes)."""
        return self.head(self.features(x))


def build_model(config: ModelConfig) -> nn.Module:
    """Instantiate the model a config describes (weights freshly initialised)."""
    return architecture(config.arch).build(config)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def is_recurrent(model: nn.Module) -> bool:
    """True for models with a recurrent head (RNN, CNN-RNN): they have
    ``features`` and ``head`` and so temporal output scores; False for a CNN.
    Read from the architecture's capabilities, never guessed."""
    return "recurrent" in architecture(model.config.arch).capabilities
