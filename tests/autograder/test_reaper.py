"""The grading child adopts and kills what a kernel detached (autograder.reaper), in a throwaway process."""

from __future__ import annotations

import json
import subprocess
import sys

from autograder_helpers import ROOT

_SCRIPT = """import json, os, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from autograder import reaper
adopted = reaper.become_subreaper()
# a "kernel" that detaches a grandchild in a new session, then exits
subprocess.run([sys.executable, "-c", "import subprocess; subprocess.Popen(['sleep', '300'], start_new_session=True)"])
time.sleep(0.2)
before = reaper.descendants(os.getpid())
killed = reaper.kill_descendants()
print(json.dumps({"adopted": adopted, "before": len(before), "killed": killed,
                  "after": reaper.descendants(os.getpid()), "pids": before}))
"""


def test_a_detached_grandchild_is_adopted_killed_and_reaped():
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(ROOT)], capture_output=True, text=True, check=True
    )
    seen = json.loads(result.stdout)
    try:
        assert seen["adopted"] and seen["before"] == 1 and seen["killed"] == 1 and seen["after"] == [], seen
    finally:
        for pid in seen["pids"]:
            subprocess.run(["kill", "-9", str(pid)], capture_output=True, check=False)
