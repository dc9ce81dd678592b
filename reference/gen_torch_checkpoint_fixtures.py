"""Writes the PyTorch-checkpoint fixtures (run: /usr/bin/python3 reference/gen_torch_checkpoint_fixtures.py).

fixtures/torch-checkpoint/
  tensors.bin      torch.save of a state dict with what real checkpoints hold: float32, float16,
                   bfloat16, int64 and 0-d tensors, a transposed (non-contiguous) view, two tensors
                   sharing one storage at different offsets, an nn.Parameter, a nested dict, and a
                   state dict's `_metadata` (from nn.Module.state_dict())
  expected.json    name -> shape and values (row-major, as float)
  evil.bin         torch.save of an object whose pickle calls os.system: a reader must refuse it
  legacy.bin       the same state dict in the pre-1.6 (non-ZIP) format
fixtures/pretrained/gpt2-bin/
  config.json, pytorch_model.bin: the GPT-2 fixture of fixtures/pretrained/gpt2 saved as a
  PyTorch checkpoint (same tensors, same names), so it must give that fixture's expected logits
"""

import json
import os
import shutil
import struct
from collections import OrderedDict

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
OUT = os.path.join(ROOT, "torch-checkpoint")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo this pickle ran code",))


def read_safetensors(path):
    """A minimal safetensors reader (F32 only), so this script needs nothing beyond torch."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        begin, end = info["data_offsets"]
        data = bytearray(raw[8 + n + begin : 8 + n + end])
        out[name] = torch.frombuffer(data, dtype=torch.float32).reshape(info["shape"]).clone()
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    sd = lin.state_dict()  # an OrderedDict with _metadata, as HF's save_pretrained writes
    sd["transposed"] = torch.randn(3, 4).t()
    base = torch.arange(10, dtype=torch.float32) * 0.5
    sd["shared.slice"] = base[2:6]
    sd["shared.base"] = base
    sd["half"] = torch.randn(5).half()
    sd["bfloat"] = torch.randn(5).bfloat16()
    sd["double"] = torch.randn(2, 2, dtype=torch.float64)
    sd["long"] = torch.arange(4)
    sd["scalar"] = torch.tensor(3.25)
    sd["param"] = torch.nn.Parameter(torch.randn(2, 2))
    sd["nested"] = {"inner": torch.randn(3)}
    torch.save(sd, os.path.join(OUT, "tensors.bin"))
    torch.save(sd, os.path.join(OUT, "legacy.bin"), _use_new_zipfile_serialization=False)
    torch.save({"weight": torch.ones(2), "payload": Evil()}, os.path.join(OUT, "evil.bin"))

    expected = {}
    flat = dict(sd)
    flat["nested.inner"] = flat.pop("nested")["inner"]
    for name, t in flat.items():
        t = t.detach()
        expected[name] = {"shape": list(t.shape), "values": [float(v) for v in t.float().reshape(-1).tolist()]}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)

    src = os.path.join(ROOT, "pretrained", "gpt2")
    dst = os.path.join(ROOT, "pretrained", "gpt2-bin")
    os.makedirs(dst, exist_ok=True)
    shutil.copy(os.path.join(src, "config.json"), os.path.join(dst, "config.json"))
    torch.save(read_safetensors(os.path.join(src, "model.safetensors")), os.path.join(dst, "pytorch_model.bin"))
    print("wrote", OUT, "and", dst)


if __name__ == "__main__":
    main()
