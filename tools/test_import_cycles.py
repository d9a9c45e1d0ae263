"""Tests of tools/import_cycles.py on the fixture crates in tools/import_cycles_fixture/.

Run: python3 tools/test_import_cycles.py (tools/test runs it).
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import import_cycles  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "import_cycles_fixture")
NO_ALLOW = os.devnull


def rel(name):
    return os.path.relpath(os.path.join(FIXTURE, name), import_cycles.ROOT)


class ImportCycles(unittest.TestCase):
    def test_a_crate_without_cycles_or_upward_imports_passes(self):
        self.assertEqual(import_cycles.check([os.path.join(FIXTURE, "clean")], NO_ALLOW), [])

    def test_a_sibling_cycle_is_reported_with_its_files(self):
        problems = import_cycles.check([os.path.join(FIXTURE, "cyclic")], NO_ALLOW)
        self.assertIn(f"import cycle: {rel('cyclic/src/a.rs')} {rel('cyclic/src/b.rs')}", problems)

    def test_naming_an_item_of_the_crate_root_is_an_upward_import(self):
        problems = import_cycles.check([os.path.join(FIXTURE, "cyclic")], NO_ALLOW)
        self.assertIn(
            f"upward import to the crate root: {rel('cyclic/src/sub/mod.rs')} crate::Root", problems
        )

    def test_naming_an_item_of_the_parent_module_file_is_not_an_edge(self):
        problems = import_cycles.check([os.path.join(FIXTURE, "cyclic")], NO_ALLOW)
        self.assertFalse([p for p in problems if "leaf.rs" in p], problems)

    def test_listed_problems_pass_and_a_stale_entry_fails(self):
        with tempfile.NamedTemporaryFile("w", suffix=".allow", delete=False) as f:
            f.write(f"# known\n{rel('cyclic/src/a.rs')} {rel('cyclic/src/b.rs')}\n")
            f.write(f"upward {rel('cyclic/src/sub/mod.rs')} crate::Root\n")
            f.write(f"upward {rel('cyclic/src/a.rs')} crate::Gone\n")
        try:
            problems = import_cycles.check([os.path.join(FIXTURE, "cyclic")], f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("allow-list entry matches nothing", problems[0])
        self.assertIn("crate::Gone", problems[0])


if __name__ == "__main__":
    unittest.main()
