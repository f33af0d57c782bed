"""A generator of realistic leaderboard results, for the demo, the tests and benchmarks."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

WORKLOAD_SHAPES = {
    "short_input": (128, 128),
    "long_input": (2048, 512),
    "stress_test": (256, 256),
}


@dataclass(frozen=True)
class Run:
    """Where one result lives in a benchmark repository."""

    backend: str
    model: str
    workload: str
    day: str  # YYYYMMDD
    sequence: int
    name: str

    @property
    def run_id(self) -> str:
        return f"{self.workload}_{self.day}_{self.sequence:03d}"

    @property
    def source(self) -> str:
        return f"outputs/{self.backend}/{self.model}/{self.run_id}/{self.name}_leaderboard.json"

    @property
    def target(self) -> str:
        return (
            f"data/results/{self.backend}/{self.model}/{self.run_id}_{self.name}_leaderboard.json"
        )


def result(run: Run, *, seed: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid leaderboard entry for ``run``; same run and seed give the same document."""
    rng = random.Random(f"{run.source}:{seed}")
    when = datetime.strptime(run.day, "%Y%m%d").replace(tzinfo=timezone.utc) + timedelta(
        hours=rng.randint(0, 20), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)
    )
    input_length, output_length = WORKLOAD_SHAPES.get(run.name, (512, 128))
    # Runs of one configuration measure about the same: a level per configuration, and
    # each run within 3% of it (within the default regression threshold of each other).
    level = random.Random(f"{run.backend}/{run.model}/{run.name}")

    def near() -> float:
        return rng.uniform(0.97, 1.03)

    doc: dict[str, Any] = {
        "entry_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "sagellm_version": "0.3.0.7",
        "config_type": "single_gpu",
        "hardware": {
            "vendor": "NVIDIA" if run.backend != "cpu" else "Intel",
            "chip_model": "A100-80GB" if run.backend != "cpu" else "CPU",
            "chip_count": 1,
            "interconnect": "None",
            "chips_per_node": 1,
            "intra_node_interconnect": "None",
            "memory_per_chip_gb": 80.0 if run.backend != "cpu" else None,
            "total_memory_gb": 80.0 if run.backend != "cpu" else None,
        },
        "model": {
            "name": run.model,
            "parameters": "124M",
            "precision": "FP16" if run.backend != "cpu" else "FP32",
            "quantization": None,
        },
        "workload": {
            "input_length": input_length,
            "output_length": output_length,
            "batch_size": 1,
            "concurrent_requests": 1,
            "dataset": "default",
        },
        "metrics": {
            "ttft_ms": round(level.uniform(20, 1500) * near(), 3),
            "tbt_ms": round(level.uniform(0.001, 5) * near(), 5),
            "tpot_ms": round(level.uniform(0.001, 5) * near(), 5),
            "throughput_tps": round(level.uniform(50, 4000) * near(), 3),
            "peak_mem_mb": round(level.randint(500, 80000) * near()),
            "error_rate": 0.0,
            "prefix_hit_rate": round(min(1.0, level.random() * near()), 4),
            "kv_used_tokens": rng.randint(0, 8192),
            "kv_used_bytes": rng.randint(0, 1 << 24),
            "evict_count": 0,
            "evict_ms": 0.0,
            "spec_accept_rate": None,
        },
        "cluster": None,
        "versions": {
            "protocol": "0.1.1.0",
            "backend": "0.3.0.11",
            "core": "0.3.0.10",
            "control_plane": "0.1.1.5",
            "gateway": "0.1.1.5",
            "kv_cache": "0.1.1.6",
            "comm": "0.1.1.7",
            "compression": "0.1.1.7",
            "benchmark": "0.3.0.7",
        },
        "environment": {
            "os": "Linux 6.8.0",
            "python_version": "3.11.9",
            "pytorch_version": "2.5.1",
            "cuda_version": "12.4" if run.backend != "cpu" else None,
            "cann_version": None,
            "driver_version": None,
        },
        "kv_cache_config": {
            "enabled": True,
            "eviction_policy": "LRU",
            "budget_tokens": 8192,
            "prefix_cache_enabled": True,
        },
        "metadata": {
            "submitted_at": when.isoformat(),
            "submitter": "benchsync sample generator",
            "data_source": "automated-benchmark",
            "reproducible_cmd": f"bench run --workload {run.workload} --backend {run.backend}",
            "git_commit": None,
            "release_date": f"{when:%Y-%m-%d}",
            "changelog_url": None,
            "notes": f"Benchmark run: {run.name}",
            "verified": False,
        },
    }
    for dotted, value in overrides.items():
        node = doc
        keys = dotted.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return doc


def run_config(run: Run) -> dict[str, Any]:
    """The ``config.json`` a benchmark run writes beside its results."""
    return {
        "run_id": run.run_id,
        "backend": run.backend,
        "model": run.model,
        "workload": run.workload,
        "date": run.day,
        "sequence": run.sequence,
        "model_path": run.model,
    }


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=2) + "\n"


def runs(count: int, *, backends: tuple[str, ...] = ("cpu", "cuda", "vllm")) -> list[Run]:
    """``count`` distinct runs, deterministic, spread over backends, models and days."""
    models = ("gpt2", "distilgpt2", "tiny-gpt2", "Qwen2.5-0.5B")
    names = tuple(WORKLOAD_SHAPES)
    workloads = {"short_input": "short", "long_input": "long", "stress_test": "stress"}
    out: list[Run] = []
    start = datetime(2026, 1, 1)
    i = 0
    while len(out) < count:
        name = names[i % 3]
        day = start + timedelta(days=(i // 3) // 999 % 300)
        out.append(
            Run(
                backends[(i // 3) % len(backends)],
                models[(i // 9) % len(models)],
                workloads[name],
                f"{day:%Y%m%d}",
                (i // 3) % 999 + 1,
                name,
            )
        )
        i += 1
    return out
