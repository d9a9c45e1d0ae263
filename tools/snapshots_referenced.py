"""After a full test run: every snapshot under snapshots/ was asserted, and there are none
elsewhere. The equivalent of `cargo insta test --unreferenced=reject`, without cargo-insta:
insta appends the path of each snapshot it asserts to the file INSTA_SNAPSHOT_REFERENCES_FILE
names (tools/test sets it), and this compares that list with the files.

Usage: python3 tools/snapshots_referenced.py REFERENCES_FILE
Exit 0 when clean; 1 naming each unreferenced, stray or pending snapshot file.
"""

import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SNAPSHOTS = os.path.join(ROOT, "snapshots")


def tracked_and_new_files():
    """Files of the checkout, committed or not, but not ignored (so not target/)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    return [os.path.join(ROOT, p) for p in out.decode().split("\0") if p]


def problems(references_file):
    referenced = set()
    if os.path.exists(references_file):
        with open(references_file, encoding="utf-8") as f:
            referenced = {os.path.realpath(line.strip()) for line in f if line.strip()}
    found = []
    for path in tracked_and_new_files():
        if not os.path.exists(path):
            continue
        name = os.path.basename(path)
        if name.endswith((".snap.new", ".pending-snap")):
            found.append(f"pending snapshot (review it, then commit or delete it): {path}")
        elif name.endswith(".snap"):
            if os.path.dirname(os.path.realpath(path)) != os.path.realpath(SNAPSHOTS):
                found.append(f"snapshot outside snapshots/ (set snapshot_path): {path}")
            elif os.path.realpath(path) not in referenced:
                found.append(f"unreferenced snapshot (no test asserts it; delete it): {path}")
    return found


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    found = problems(argv[0])
    for p in found:
        print(f"snapshots: {p}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
