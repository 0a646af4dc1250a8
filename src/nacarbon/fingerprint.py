"""What identifies a training run's computation: a hash of its config without where things are stored."""

from __future__ import annotations

import hashlib
import json

from omegaconf import DictConfig, OmegaConf


# Where things are stored and how they are shown: not part of what a training run computes.
_NOT_IN_FINGERPRINT = ("paths", "tracking", "progress", "run_name")
_SEARCH_NOT_IN_FINGERPRINT = ("storage", "progress", "worker")


def config_fingerprint(cfg: DictConfig) -> str:
    """A short hash of everything in a training config that decides its result.

    Interpolations are hashed unresolved: data content is the data version's business, and a clone
    in another folder computes the same runs.
    """
    node = OmegaConf.to_container(cfg, resolve=False)
    for key in _NOT_IN_FINGERPRINT:
        node.pop(key, None)
    search = node.get("search") if isinstance(node.get("search"), dict) else {}
    for key in _SEARCH_NOT_IN_FINGERPRINT:
        search.pop(key, None)
    return hashlib.sha256(json.dumps(node, sort_keys=True, default=str).encode()).hexdigest()[:16]
