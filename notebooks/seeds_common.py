"""What the seed-paper notebooks and scripts/seeds_table.py share: reading a results file, confidence
intervals across seeds, per-seed ratios between two policies, saving figures, and one request's Gantt chart
from a `hetsoc sim --timeline` file.

The HDF5 layout is experiments/README.md's (`/runs`, `/requests`, `/pus`, `/configs`, joinable on `run`).
Strings come back as `bytes` (variable-length UTF-8 inside compound rows) or as numpy bytes (fixed-length
strings); `load` decodes both, so a change of the file's string type changes nothing here.
"""
import json
import math
import os

import h5py
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

# Two-sided 95% Student t quantiles by degrees of freedom (1..30); 1.96 beyond.
_T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042]


def _text(v):
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8").rstrip("\0")
    return v


def _decode(df):
    for col in df.columns:
        if df[col].dtype == object or df[col].dtype.kind == "S":
            df[col] = df[col].map(_text)
    return df


def results_path(name):
    """$HETSOC_RESULTS, else ../build/NAME.h5 (what scripts/seeds-table.sh writes)."""
    return os.environ.get("HETSOC_RESULTS") or os.path.join("..", "build", "seeds", name + ".h5")


def load(path):
    """The file's tables as decoded DataFrames (keys runs, requests, pus, configs) plus `attrs` (a dict) and
    `sweep` (the sweep columns of /runs, in the file's order).  Requests carry their run's columns."""
    with h5py.File(path, "r") as f:
        out = {t: _decode(pd.DataFrame(f[t][()])) for t in ("runs", "requests", "pus", "configs") if t in f}
        attrs = {k: _text(v) for k, v in f.attrs.items()}
    out["attrs"] = attrs
    out["sweep"] = [s for s in str(attrs.get("sweep_params", "")).split("\n") if s]
    runs = out["runs"]
    keep = ["run", "policy", "hw", "workload", "seed", "status"] + out["sweep"]
    out["requests"] = out["requests"].merge(runs[keep], on="run")
    out["requests"] = out["requests"][out["requests"]["warmup"] == 0]
    return out


def ci95(values):
    """(mean, half-width of the 95% Student t interval); half-width NaN for one value."""
    v = np.asarray([x for x in values if not (isinstance(x, float) and math.isnan(x))], dtype=float)
    if len(v) == 0:
        return float("nan"), float("nan")
    if len(v) == 1:
        return float(v[0]), float("nan")
    t = _T95[len(v) - 2] if len(v) - 1 <= len(_T95) else 1.96
    return float(v.mean()), float(t * v.std(ddof=1) / math.sqrt(len(v)))


def fmt_ci(mean, half, digits=2, unit=""):
    if math.isnan(mean):
        return "n/a"
    if math.isnan(half):
        return f"{mean:.{digits}f}{unit}"
    return f"{mean:.{digits}f}{unit} ± {half:.{digits}f}"


def per_seed(frame, value, keys):
    """One value per (keys..., seed): `value` is a column, or a function of the group's rows."""
    groups = frame.groupby(list(keys) + ["seed"], dropna=False)
    if callable(value):
        return groups.apply(value)
    return groups[value].mean()


def ratio(frame, value, num, den, keys, by="policy"):
    """Per-seed ratio value[num] / value[den] for each combination of `keys`: a Series indexed by keys + seed."""
    s = per_seed(frame, value, [by] + list(keys))
    return (s.xs(num, level=by) / s.xs(den, level=by)).dropna()


def class_latency(data, cls):
    """Mean latency of class `cls` per run, as a /runs-shaped frame (run columns + `lat`)."""
    req = data["requests"]
    lat = req[req["class"] == cls].groupby("run")["latency_s"].mean().rename("lat")
    return data["runs"].merge(lat, left_on="run", right_index=True)


def save(fig, name):
    """Writes the figure to $HETSOC_FIGURES/NAME when that variable is set."""
    out = os.environ.get("HETSOC_FIGURES")
    if out:
        os.makedirs(out, exist_ok=True)
        fig.savefig(os.path.join(out, name), dpi=110, bbox_inches="tight")


def gantt(ax, timeline_path, request=None):
    """Draws one request's kernels per PU from a `hetsoc sim --timeline` file (Chrome trace events, see
    experiments/cli/timeline.c): "X" events named "rN STAGE" on one track per PU ("batch xK STAGE" for
    batches).  `request` None: the first request seen.  Returns the request drawn."""
    with open(timeline_path) as f:
        events = json.load(f)["traceEvents"]
    pus = {e["tid"]: e["args"]["name"] for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"}
    kern = [e for e in events if e.get("ph") == "X" and e["name"].startswith("r")]
    if request is None and kern:
        request = int(kern[0]["name"].split()[0][1:])
    mine = [e for e in kern if e["name"].split()[0] == f"r{request}"]
    t0 = min((e["ts"] for e in mine), default=0.0)
    spans = {}  # (track, stage) -> [(start ms, duration ms)]: one broken_barh per pair, not per kernel
    for e in mine:
        key = (e["tid"], e["name"].split(" ", 1)[1])
        spans.setdefault(key, []).append(((e["ts"] - t0) / 1e3, e["dur"] / 1e3))
    tracks = sorted({tid for tid, _ in spans})
    stages = sorted({st for _, st in spans})
    for (tid, st), bars in spans.items():
        ax.broken_barh(bars, (tracks.index(tid) - 0.4, 0.8), color=f"C{stages.index(st) % 10}")
    ax.set_yticks(range(len(tracks)))
    ax.set_yticklabels([pus.get(t, str(t)) for t in tracks])
    ax.set_xlabel("ms since the request's first kernel")
    ax.set_title(f"request {request}: its kernels on each PU")
    ax.legend(handles=[Patch(color=f"C{i % 10}", label=st) for i, st in enumerate(stages)], fontsize=7, ncol=2)
    return request


def cdf(ax, values, label):
    v = np.sort(np.asarray(values, dtype=float))
    if len(v):
        ax.step(v, np.arange(1, len(v) + 1) / len(v), where="post", label=label)


def summary(frame, value, keys):
    """Mean and 95% half-width across seeds of `value` per combination of `keys` (a DataFrame)."""
    rows = []
    by = keys[0] if len(keys) == 1 else list(keys)
    for k, g in frame.groupby(by, dropna=False, sort=False):
        m, h = ci95(list(g[value]))
        rows.append(dict(zip(keys, k if isinstance(k, tuple) else (k,)), mean=m, ci=h))
    return pd.DataFrame(rows)


def bars(ax, frame, value, group, hue, ylabel):
    """Grouped bars of `value` (mean across seeds, 95% error bars): one group per `group`, one bar per `hue`."""
    s = summary(frame, value, [group, hue])
    groups = list(dict.fromkeys(s[group]))
    hues = list(dict.fromkeys(s[hue]))
    width = 0.8 / max(1, len(hues))
    for i, h in enumerate(hues):
        sub = s[s[hue] == h].set_index(group).reindex(groups)
        x = np.arange(len(groups)) + i * width
        ax.bar(x, sub["mean"], width, yerr=sub["ci"].fillna(0), label=str(h), capsize=2)
    ax.set_xticks(np.arange(len(groups)) + 0.4 - width / 2)
    ax.set_xticklabels([str(g) for g in groups], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncol=2)
    return s


def timeline_path():
    """$HETSOC_TIMELINE when it names an existing file (a `hetsoc sim --timeline` output), else None."""
    p = os.environ.get("HETSOC_TIMELINE")
    return p if p and os.path.exists(p) else None
