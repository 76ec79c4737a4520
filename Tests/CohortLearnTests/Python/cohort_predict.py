"""Scores a CSV with a Cohort model file using only safetensors, numpy and the file itself.

usage: cohort_predict.py MODEL.safetensors DATA.csv
Prints a JSON list of class-probability rows. Everything it needs comes from the file:
the weights (tensors), and in __metadata__ the layer list, the preprocessing statistics
(mean, scale, imputed value per numeric feature; levels per categorical one) and the task.
"""
import csv
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def main(model_path, csv_path):
    weights = load_file(model_path)
    with safe_open(model_path, framework="numpy") as f:
        meta = f.metadata()
    assert meta["cohort.format"] == "cohort-model/1", meta.get("cohort.format")
    definition = json.loads(meta["cohort.model"])
    preprocessing = json.loads(meta["cohort.preprocessing"])
    task = json.loads(meta["cohort.task"])

    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = []
    for feature in preprocessing["features"]:
        name = feature["name"]
        if feature["kind"] == "numeric":
            values = []
            for row in rows:
                cell = row[name]
                x = float(cell) if cell != "" else feature["imputedValue"]
                values.append((x - feature["mean"]) / feature["scale"])
            columns.append(np.array(values, dtype=np.float64)[:, None])
        else:
            levels = feature["levels"]
            onehot = np.zeros((len(rows), len(levels)))
            for i, row in enumerate(rows):
                cell = row[name] if row[name] != "" else feature["imputedLevel"]
                onehot[i, levels.index(cell)] = 1
            columns.append(onehot)
    x = np.hstack(columns).astype(np.float32)

    dense = 0
    for layer in definition["layers"]:
        if isinstance(layer, dict) and "dense" in layer:
            x = x @ weights[f"dense{dense}.weight"] + weights[f"dense{dense}.bias"]
            dense += 1
        elif isinstance(layer, dict) and "dropout" in layer:
            pass  # inference: identity
        elif layer == "relu":
            x = np.maximum(x, 0)
        elif layer == "tanh":
            x = np.tanh(x)
        elif layer == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif layer == "gelu":
            x = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
        else:
            raise SystemExit(f"unknown layer {layer!r}")
    x = x.astype(np.float64)
    if task["outputWidth"] == 1:
        p = 1 / (1 + np.exp(-x[:, 0]))
        probabilities = np.stack([1 - p, p], axis=1)
    else:
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(z)
        probabilities = e / e.sum(axis=1, keepdims=True)
    print(json.dumps(probabilities.tolist()))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
