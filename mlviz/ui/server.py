"""Server settings a teacher sets for a class: environment variables read on every run.

=====================  ==============================================================
``MLVIZ_UPLOADS=off``  no "file" data source: visitors cannot upload descriptors
``MLVIZ_TRAINING=off`` the Train / Fine-tune buttons are off (no training on the server)
``MLVIZ_MAX_POINTS=N`` at most N points in a toy data set or an uploaded file
``MLVIZ_WARM_UP=off``  no background warm-up of the smoothing and mining pages' work on
                       data sets over 1,500 points (:mod:`mlviz.ui.warm_up`)
=====================  ==============================================================
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlviz import datasets as ds
from mlviz.local_data import data_path_from_argv

OFF = ("0", "off", "false", "no")
MAX_TOY_POINTS = 20_000


@dataclass(frozen=True)
class ServerSettings:
    """What this server allows its visitors."""

    uploads: bool = True
    training: bool = True
    max_points: int = ds.MAX_POINTS
    warm_up: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ServerSettings:
        """The settings in ``env``; a value that is not understood leaves the default."""
        raw = env.get("MLVIZ_MAX_POINTS", "")
        cap = int(raw) if raw.strip().isdigit() else ds.MAX_POINTS
        return cls(
            uploads=env.get("MLVIZ_UPLOADS", "on").strip().lower() not in OFF,
            training=env.get("MLVIZ_TRAINING", "on").strip().lower() not in OFF,
            max_points=max(100, min(cap, ds.MAX_POINTS)),
            warm_up=env.get("MLVIZ_WARM_UP", "on").strip().lower() not in OFF,
        )

    @property
    def max_toy_points(self) -> int:
        """The largest n of the toy manifolds' slider (a multiple of its step, 100)."""
        return min(MAX_TOY_POINTS, self.max_points) // 100 * 100


def server_settings() -> ServerSettings:
    return ServerSettings.from_env()


TRAINING_OFF = ("Training is turned off on this server (MLVIZ_TRAINING=off). Run the app on "
                "your own machine to train.")


def training_note() -> str | None:
    """The Train buttons' help while training is off (None while it is on)."""
    return None if server_settings().training else TRAINING_OFF


def local_data_path() -> Path | None:
    """The descriptor file given on the command line (``streamlit run app.py -- --data PATH``),
    or ``None``. Only whoever starts the server can name it: no visitor can."""
    return data_path_from_argv(sys.argv[1:])
