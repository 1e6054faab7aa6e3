"""One capstone run in its own process: ``python -m mtlkit.capstone.worker RUN_DIR [DEVICE]``.

The scheduler starts one of these per device (with ``CUDA_VISIBLE_DEVICES`` set). It reads the run's
config from ``RUN_DIR/run.json`` and trains it with ``resume=True``: a finished run is skipped, an
interrupted one continues from its last checkpoint. Exit status 0 on success, 2 for a user error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from mtlkit.capstone.results import RUN_META
    from mtlkit.errors import UserError
    from mtlkit.experiment import RunConfig, run

    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m mtlkit.capstone.worker RUN_DIR [DEVICE]", file=sys.stderr)
        return 2
    directory = Path(args[0])
    try:
        config = RunConfig.from_dict(json.loads((directory / RUN_META).read_text())["config"])
        if len(args) > 1:
            config = replace(config, device=args[1])
        run(config, directory, resume=True, progress=False)
    except UserError as err:
        print(f"mtlkit: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
