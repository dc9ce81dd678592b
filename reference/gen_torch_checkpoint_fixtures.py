"""Writes the PyTorch-checkpoint fixtures (run: /usr/bin/python3 reference/gen_torch_checkpoint_fixtures.py).

fixtures/torch-checkpoint/
  tensors.bin      torch.save of a state dict with what real checkpoints hold: float32, float16,
                   bfloat16, int64 and 0-d tensors, a transposed (non-contiguous) view, two tensors
                   sharing one storage at different offsets, an nn.Parameter, a nested dict, and a
                   state dict's `_metadata` (from nn.Module.state_dict())
  expected.json    name -> shape and values (row-major, as float)
  evil.bin         torch.save of an object whose pickle calls os.system: a reader must refuse it
  legacy.bin       the same state dict in the pre-1.6 (non-ZIP) format
  zip64.bin        tensors.bin's entries re-packed by Python's zipfile with every ZIP64 record a
                   checkpoint past 4 GiB has (see write_zip64): a reader's ZIP64 paths, tested
                   without writing gigabytes and with a writer independent of torch's and ours
fixtures/pretrained/gpt2-bin/
  config.json, pytorch_model.bin: the GPT-2 fixture of fixtures/pretrained/gpt2 saved as a
  PyTorch checkpoint (same tensors, same names), so it must give that fixture's expected logits
"""

import json
import os
import shutil
import struct
import zipfile
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


def write_zip64(src, dst):
    """Re-packs the archive `src` into `dst` (stored, uncompressed) with ZIP64 records forced.

    A checkpoint needs ZIP64 (PKWARE APPNOTE 4.3.14-4.3.15, 4.5.3) once a size or offset passes
    4 GiB; no one commits such a file, so zipfile's threshold is lowered instead (ZIP64_LIMIT, a
    module global it reads as it writes) to 500 bytes. With the data entries first and data.pkl
    (1 KB) after them, the central directory then holds:
      - small entries before byte 500: no ZIP64 extra field;
      - small entries past byte 500: a ZIP64 extra field with the local-header offset only;
      - data.pkl: a ZIP64 extra field with uncompressed size, compressed size, offset, in that order;
    every local header carries a ZIP64 extra field (force_zip64: both sizes), and the directory's
    end has a ZIP64 end record and its locator. Last, the end-of-central-directory record's entry
    counts, directory size and directory offset are set to 0xffff / 0xffffffff ("see the ZIP64
    record"), as an archive past 4 GiB has them; zipfile itself writes them only when they overflow.
    """
    with zipfile.ZipFile(src) as z:
        entries = [(info.filename, z.read(info)) for info in z.infolist()]
    entries.sort(key=lambda e: e[0].endswith("/data.pkl"))  # data.pkl after the storages
    saved = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 500
    try:
        with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                with z.open(info, "w", force_zip64=True) as f:
                    f.write(data)
    finally:
        zipfile.ZIP64_LIMIT = saved
    with open(dst, "r+b") as f:
        raw = bytearray(f.read())
        eocd = len(raw) - 22  # no archive comment: the EOCD is the last 22 bytes
        assert raw[eocd : eocd + 4] == b"PK\x05\x06" and raw[eocd - 20 : eocd - 16] == b"PK\x06\x07"
        struct.pack_into("<HHII", raw, eocd + 8, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        f.seek(0)
        f.write(raw)
    # what was written reads back, through the ZIP64 records. (Not through torch.load: its miniz
    # checks a local-header offset's 32-bit placeholder 0xffffffff against the file's size before
    # reading the ZIP64 field, a check only a file really past 4 GiB passes.)
    with zipfile.ZipFile(dst) as z:
        assert [(i.filename, z.read(i)) for i in z.infolist()] == entries


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
    write_zip64(os.path.join(OUT, "tensors.bin"), os.path.join(OUT, "zip64.bin"))
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
