"""Writes the safetensors fixtures in fixtures/safetensors/ (run: /usr/bin/python3 reference/gen_safetensors_fixtures.py).

The Python `safetensors` package is not available here, so `save` below encodes the format by hand,
following what the reference implementation (huggingface/safetensors, Rust `prepare`/`serialize`
in safetensors/src/tensor.rs) does, and checked against the byte strings in its Python test suite
(bindings/python/tests/test_simple.py):
  - tensors sorted by dtype, descending in the Rust Dtype enum's order, then by name (UTF-8 bytes);
  - data back to back in that order;
  - compact JSON header, "__metadata__" first when given, fields in the order dtype, shape, data_offsets;
  - header padded with spaces to a multiple of 8 bytes;
  - u64 little-endian header length first.
Tensor values come from torch; expected values (as floats) go to expected.json. Malformed files
are built byte by byte. Everything is small and deterministic (fixed seed).
"""

import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "safetensors")

# The Rust Dtype enum, in declaration (= increasing alignment) order.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16", "F16", "BF16",
               "I32", "U32", "F32", "C64", "F64", "I64", "U64"]
CODES = {torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16",
         torch.float16: "F16", torch.bfloat16: "BF16", torch.int32: "I32", torch.float32: "F32",
         torch.float64: "F64", torch.int64: "I64"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the bits
        t = t.view(torch.int16)
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def pad_header(text: bytes) -> bytes:
    return text + b" " * ((8 - len(text) % 8) % 8)


def save(tensors, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_ORDER.index(CODES[kv[1].dtype]), kv[0].encode("utf-8")))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, t in items:
        n = t.numel() * t.element_size()
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    # ensure_ascii=False: serde_json writes non-ASCII as raw UTF-8 and escapes only ", \ and controls.
    text = pad_header(json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return struct.pack("<Q", len(text)) + text + b"".join(tensor_bytes(t) for _, t in items)


def raw(header_text: str, data: bytes = b"", n=None) -> bytes:
    """A file with a hand-written header (for malformed cases); n overrides the length prefix."""
    text = pad_header(header_text.encode("utf-8"))
    return struct.pack("<Q", len(text) if n is None else n) + text + data


def encode_value(x):
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return str(x).replace("nan", "NaN").replace("inf", "Infinity")  # JSON has no NaN/Infinity
    return x


def describe(tensors, metadata):
    out = {"metadata": metadata or {}, "tensors": {}}
    for name, t in tensors.items():
        values = t.flatten().tolist() if t.dtype in (torch.bool,) or not t.is_floating_point() else t.to(torch.float64).flatten().tolist()
        out["tensors"][name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "values": [encode_value(v) for v in values]}
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    expected = {"valid": {}, "malformed": {}}

    def valid(name, tensors, metadata=None):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(save(tensors, metadata))
        expected["valid"][name] = describe(tensors, metadata)

    def malformed(name, content: bytes, why: str):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(content)
        expected["malformed"][name] = why

    specials = [0.0, -0.0, 1.0, -2.5, 0.1, math.inf, -math.inf, math.nan]
    valid("f32.safetensors", {
        "layer.weight": torch.randn(2, 3),
        "layer.bias": torch.randn(3),
        "scale": torch.tensor(0.5),
        "special": torch.tensor(specials + [3.4028234663852886e38, 1e-45], dtype=torch.float32),
    }, {"format": "pt"})
    valid("f64.safetensors", {
        "x": torch.randn(2, 2, dtype=torch.float64),
        "special": torch.tensor(specials + [1.7976931348623157e308, 5e-324], dtype=torch.float64),
    }, {"format": "pt"})
    valid("f16.safetensors", {
        "x": torch.randn(2, 3).to(torch.float16),
        # max, min normal, min subnormal, and a subnormal with several bits set
        "special": torch.tensor(specials + [65504.0, -65504.0, 2.0 ** -14, 2.0 ** -24, 3 * 2.0 ** -20], dtype=torch.float16),
    }, {"format": "pt"})
    valid("bf16.safetensors", {
        "x": torch.randn(2, 3).to(torch.bfloat16),
        "special": torch.tensor(specials + [3.3895313892515355e38, 2.0 ** -126, 2.0 ** -133], dtype=torch.bfloat16),
    }, {"format": "pt"})
    valid("i32.safetensors", {
        "ids": torch.arange(-3, 3, dtype=torch.int32).reshape(2, 3),
        "extremes": torch.tensor([-2 ** 31, 2 ** 31 - 1, 0, -1], dtype=torch.int32),
    }, {"format": "pt"})
    valid("i64.safetensors", {
        "ids": torch.arange(6, dtype=torch.int64).reshape(3, 2),
        "extremes": torch.tensor([-2 ** 31, 2 ** 31 - 1, 0, -1], dtype=torch.int64),
    }, {"format": "pt"})
    valid("small_ints.safetensors", {
        "i16": torch.tensor([-32768, 32767, -1, 0], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, -1], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 7], dtype=torch.uint8),
        "mask": torch.tensor([[True, False, True]]),
    })
    # Every dtype our writer emits, names that sort differently as UTF-16 and as UTF-8 ("\uff5e"
    # vs an astral emoji), integer-like names, a scalar and an empty tensor: byte-exact target.
    valid("mixed.safetensors", {
        "w64": torch.randn(2, dtype=torch.float64),
        "b": torch.randn(2, 2),
        "a": torch.randn(3),
        "10": torch.randn(1),
        "9": torch.tensor(2.0),
        "\u00e9t\u00e9": torch.randn(2),
        "\uff5e": torch.randn(1),
        "\U0001F600": torch.randn(1),
        "empty": torch.zeros(0, 3),
        "ids": torch.tensor([1, -2, 3, 2 ** 31 - 1], dtype=torch.int32),
        "mask": torch.tensor([[True, False, True], [False, False, True]]),
    }, {"format": "pt"})
    valid("no_metadata.safetensors", {"t": torch.randn(2)})

    # Valid for Python, refused by us: I64 values beyond int32, a dtype we can list but not decode.
    malformed("i64_out_of_range.safetensors", save({"big": torch.tensor([1, 2 ** 40], dtype=torch.int64)}),
              "I64 value outside int32 range")
    malformed("u16.safetensors", raw('{"u":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}}', struct.pack("<HH", 1, 65535)),
              "U16: listed by the header reader, not decodable")

    good = save({"t": torch.arange(4, dtype=torch.float32)})
    malformed("truncated_prefix.safetensors", good[:5], "shorter than the 8-byte length prefix")
    malformed("truncated_data.safetensors", good[:-4], "last 4 data bytes cut off")
    malformed("header_past_eof.safetensors", raw("{}", b"", n=1000), "header length past EOF")
    malformed("header_huge.safetensors", raw("{}", b"", n=2 ** 53), "header length 2^53")
    malformed("header_u64_max.safetensors", raw("{}", b"", n=2 ** 64 - 1), "header length 2^64-1")
    malformed("bad_utf8.safetensors", struct.pack("<Q", 8) + b'{"a":"\xff}', "header not UTF-8")
    malformed("bom.safetensors", raw('\ufeff{}'), "header starts with a byte-order mark")
    malformed("bad_json.safetensors", raw('{"t":{"dtype":"F32",'), "header not JSON")
    malformed("not_object.safetensors", raw("[1,2,3]"), "header is an array")
    malformed("entry_not_object.safetensors", raw('{"t":5}'), "tensor entry not an object")
    malformed("unknown_dtype.safetensors", raw('{"t":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}', bytes(4)), "unknown dtype")
    malformed("negative_shape.safetensors", raw('{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', bytes(4)), "negative dim")
    malformed("fractional_shape.safetensors", raw('{"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', bytes(4)), "fractional dim")
    malformed("shape_not_array.safetensors", raw('{"t":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}', bytes(4)), "shape a string")
    malformed("bad_offsets.safetensors", raw('{"t":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', bytes(4)), "data_offsets of length 1")
    malformed("end_before_begin.safetensors", raw('{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', bytes(4)), "end < begin")
    malformed("shape_mismatch.safetensors", raw('{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', bytes(8)), "3 floats in 8 bytes")
    malformed("shape_overflow.safetensors", raw('{"t":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}'),
              "intermediate shape product overflows u64 (Rust: ValidationOverflow)")
    malformed("out_of_range.safetensors", raw('{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', bytes(8)), "offsets past the data section")
    malformed("overlapping.safetensors", raw('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', bytes(12)),
              "b starts inside a")
    malformed("hole.safetensors", raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', bytes(12)),
              "bytes 4..8 belong to no tensor")
    malformed("trailing_bytes.safetensors", raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(8)), "4 bytes after the last tensor")
    malformed("metadata_not_string.safetensors", raw('{"__metadata__":{"epoch":1}}'), "metadata value a number")
    malformed("metadata_not_object.safetensors", raw('{"__metadata__":"pt"}'), "metadata a string")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=True, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
