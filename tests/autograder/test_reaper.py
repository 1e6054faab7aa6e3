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


_TREE = """import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"])
print("ready", flush=True)
time.sleep(300)
"""


def test_kill_tree_ends_a_process_and_all_its_descendants():
    from autograder import reaper

    root = subprocess.Popen([sys.executable, "-c", _TREE], stdout=subprocess.PIPE, text=True)
    try:
        assert root.stdout.readline() == "ready\n"
        deadline = 100
        while len(reaper.descendants(root.pid)) < 2 and deadline:  # its child, and that one's sleep
            deadline -= 1
            subprocess.run(["sleep", "0.05"], check=True)
        tree = reaper.descendants(root.pid)
        assert len(tree) == 2
        reaper.kill_tree(root.pid)
        root.wait(timeout=10)
        for _ in range(100):
            if not any(_alive(pid) for pid in tree):
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert not any(_alive(pid) for pid in tree)
    finally:
        root.kill()
        root.wait()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False
