from __future__ import annotations

import pytest
import torch

from demolib import models
from demolib.models import ModelConfig, build_model, count_parameters, preset


@pytest.mark.parametrize("arch", models.ARCHS)
@pytest.mark.parametrize("size", models.SIZES)
def test_presets_forward_shape(arch, size):
    torch.manual_seed(0)
    m = build_model(preset(arch, size)).eval()
    out = m(torch.rand(3, 4, 101))
    assert out.shape == (3, 2)
    assert (m.first_conv is None) == (arch == "rnn")


def test_reference_defaults():
    c = preset("cnn", "medium")
    assert c.conv_widths == (9, 5, 3) and c.conv_channels == 128 and c.pool == 2 and c.dropout == 0.5
    r = preset("rnn", "medium")
    assert r.hidden == 32 and r.layers == 1 and r.bidirectional
    cr = build_model(preset("cnn-rnn"))
    assert cr.first_conv.kernel_size == (9,) and cr.first_conv.out_channels == 128


@pytest.mark.parametrize("arch", models.ARCHS)
def test_sizes_grow(arch):
    n = [count_parameters(build_model(preset(arch, s))) for s in models.SIZES]
    assert n[0] < n[1] < n[2]


def test_config_roundtrip():
    c = preset("cnn-rnn", "large", bidirectional=False, seq_len=80)
    assert ModelConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match="unknown model config keys"):
        ModelConfig.from_dict({**c.to_dict(), "bogus": 1})


def test_bad_configs():
    with pytest.raises(ValueError, match="unknown architecture"):
        preset("transformer")
    with pytest.raises(ValueError, match="unknown size"):
        preset("cnn", "huge")
    with pytest.raises(ValueError, match="needs sequences of at least"):
        preset("cnn", "medium", seq_len=20)


@pytest.mark.parametrize("arch", ["rnn", "cnn-rnn"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_recurrent_head_any_length_and_masking(arch, bidirectional):
    torch.manual_seed(0)
    m = build_model(preset(arch, "small", bidirectional=bidirectional)).eval()
    x = torch.rand(2, 4, 101)
    F = m.features(x)
    assert F.shape[2] == 101
    with torch.no_grad():
        full = m.head(F)
        assert torch.allclose(full, m(x), atol=1e-6)
        # right-padded prefixes scored with lengths == each prefix scored alone
        lengths = torch.tensor([37, 101])
        padded = F.clone()
        padded[0, :, 37:] = 123.0  # garbage in the padding must not matter
        batched = m.head(padded, lengths)
        alone = m.head(F[:1, :, :37])
        assert torch.allclose(batched[0], alone[0], atol=1e-5)
        assert torch.allclose(batched[1], full[1], atol=1e-5)
        assert m.head(F[:, :, :5]).shape == (2, 2)  # any length works


def test_forget_gate_bias():
    m = build_model(preset("rnn"))
    h = m.config.hidden
    b = m.head.lstm.bias_ih_l0.detach() + m.head.lstm.bias_hh_l0.detach()
    assert torch.allclose(b[h : 2 * h], torch.ones(h))
