"""Cross-checks Cohort's safetensors files against Hugging Face's reference implementation.

Used by SafetensorsTests+Python.swift. Every command prints one JSON object on stdout:

    {"tensors": {NAME: {"dtype": ..., "shape": [...], "bits": [...], "checksum": ...}},
     "metadata": {KEY: VALUE}}

"bits" are the float32 bit patterns in row-major order (exact even for NaN and -0);
"checksum" is the float64 sum of the finite values.

    read PATH       load PATH with safetensors.numpy and describe what it holds
    write PATH      write a small model with safetensors.numpy.save_file and describe it
    write-f64 PATH  write a float64 tensor (which Cohort must refuse)
"""

import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def describe(tensors, metadata):
    report = {}
    for name, array in tensors.items():
        entry = {"dtype": str(array.dtype), "shape": list(array.shape), "bits": [], "checksum": 0.0}
        if array.dtype == np.float32:
            flat = np.ascontiguousarray(array).reshape(-1)
            entry["bits"] = flat.view(np.uint32).tolist()
            entry["checksum"] = float(flat[np.isfinite(flat)].astype(np.float64).sum())
        report[name] = entry
    return {"tensors": report, "metadata": metadata or {}}


def read(path):
    tensors = load_file(path)
    with safe_open(path, framework="numpy") as handle:
        metadata = handle.metadata()
    return describe(tensors, metadata)


def write(path):
    special = np.array([0x7FC00000, 0x7FC12345, 0x7F800000, 0xFF800000, 0x80000000, 0x00000001], dtype=np.uint32)
    tensors = {
        "dense0.weight": ((np.arange(12, dtype=np.float32) - 5.5) / 7).reshape(3, 4),
        "dense0.bias": np.array([-1.5, 0.0, 2.25, 1e-3], dtype=np.float32),
        "temperature": np.array(3.0, dtype=np.float32),
        "special": special.view(np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    metadata = {
        "model": json.dumps({"kind": "mlp", "layers": [4, 3]}),
        "site": "H\u00f4pital Saint-\u00c9loi \u2713",
        "note": 'line 1\nline "2"\t\\',
    }
    save_file(tensors, path, metadata=metadata)
    return describe(tensors, metadata)


def write_f64(path):
    tensors = {"weight": np.array([1.0, 2.0], dtype=np.float64)}
    save_file(tensors, path)
    return {"tensors": {}, "metadata": {}}


def main():
    command, path = sys.argv[1], sys.argv[2]
    actions = {"read": read, "write": write, "write-f64": write_f64}
    print(json.dumps(actions[command](path)))


if __name__ == "__main__":
    main()
