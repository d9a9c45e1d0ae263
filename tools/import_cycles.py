"""Fail on a file-level import cycle inside a crate, and on an upward import to a crate root.

Usage: python3 tools/import_cycles.py [--allow FILE] [CRATE_DIR...]
(default: every crates/*/ of this checkout, allow-list tools/import_cycles.allow).
Exit 0 when clean, 1 naming each cycle and each upward import, 2 on bad usage.

What is checked, per crate, over the files of its module tree (src/lib.rs, src/main.rs,
src/bin/*.rs and every file they declare with `mod NAME;`):

- An *edge* A -> B: file A names an item of file B through a path: `use` trees and paths in
  code that start with `crate::`, `super::`, `self::`, a child module of A's module, or a
  module alias A imported with `use`. The path's longest prefix that is a module with a
  file of its own decides B (inline `mod x { }` blocks belong to their file). Declaring
  `mod b;` is not an edge: a parent owns its children; only using their items is.
- A *cycle*: a strongly connected set of two or more files. Reported as its sorted file
  list. A parent that re-exports a child (`pub use child::X`) while the child names an item
  of the parent (`super::Y`) is a cycle too: move Y down into a leaf both can use.
- An *upward import*: a file other than the crate root names an item (not a module) of its
  crate root, i.e. `crate::Item`, or `super::Item` from a direct child of the root, where
  `Item` is defined or re-exported in lib.rs/main.rs. The root is the crate's façade for
  other crates; inside the crate, name an item by the module that owns it. Paths through
  the root to a module (`crate::config::Thing`) are not upward.

Tests (`#[cfg(test)] mod tests;` files) are part of the tree like any file. Macros, and
paths inside comments and string literals, are ignored.

The allow-list names known cycles (one per line, files space-separated, crate-relative to
the workspace; `#` comments) and known upward imports (`upward FILE crate::ITEM`). A listed
cycle must match a found one exactly, and an entry that matches nothing fails the check
too, so the list only shrinks.
"""

import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """Blank out comments, string and char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif (m := re.match(r'b?r(#*)"', text[i:])) and (i == 0 or not re.match(r"\w", text[i - 1])):
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and (m := re.match(r"'(\\.[^']*|[^\\'])'", text[i:])):
            out.append("' '")
            i += m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_top(s, sep=","):
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def expand_use_tree(tree, prefix=()):
    """`a::{b, c::{d as e}}` -> [(('a','b'), 'b'), (('a','c','d'), 'e')] (path, bound name)."""
    tree = " ".join(tree.split())
    if tree.startswith("::"):
        tree = tree[2:]
    brace = tree.find("{")
    if brace >= 0 and tree.endswith("}"):
        head = [s for s in tree[:brace].strip().rstrip(":").split("::") if s.strip()]
        result = []
        for part in split_top(tree[brace + 1 : -1]):
            result.extend(expand_use_tree(part, prefix + tuple(s.strip() for s in head)))
        return result
    alias = None
    m = re.match(r"(.*?)\s+as\s+(" + IDENT + r")$", tree)
    if m:
        tree, alias = m.group(1), m.group(2)
    segs = tuple(s.strip() for s in tree.split("::") if s.strip())
    path = prefix + segs
    if segs == ("self",):
        path = prefix
    if not path:
        return []
    return [(path, alias or (path[-1] if path[-1] != "*" else None))]


class Crate:
    def __init__(self, crate_dir):
        self.dir = crate_dir
        self.files = {}  # module path tuple -> file (relative to ROOT)
        self.roots = []
        src = os.path.join(crate_dir, "src")
        for name in ("lib.rs", "main.rs"):
            if os.path.isfile(os.path.join(src, name)):
                self.roots.append(os.path.join(src, name))
        bindir = os.path.join(src, "bin")
        if os.path.isdir(bindir):
            for name in sorted(os.listdir(bindir)):
                if name.endswith(".rs"):
                    self.roots.append(os.path.join(bindir, name))
        self.texts = {}
        self.trees = []  # one per root: {module path: file}
        for root in self.roots:
            tree = {}
            self._walk(root, (), os.path.dirname(root), tree, is_root=True)
            self.trees.append((root, tree))

    def _walk(self, path, modpath, child_dir, tree, is_root=False):
        tree[modpath] = path
        text = strip_comments_and_strings(open(path, encoding="utf-8").read())
        self.texts[path] = text
        for m in re.finditer(r"((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", text):
            attrs, name = m.group(1), m.group(2)
            pm = re.search(r'#\[path\s*=\s*"([^"]*)"\]', attrs)
            if pm:  # strings are blanked; #[path] modules are outside the tree
                continue
            for cand in (os.path.join(child_dir, name + ".rs"), os.path.join(child_dir, name, "mod.rs")):
                if os.path.isfile(cand):
                    sub = cand[:-3] if not cand.endswith("mod.rs") else os.path.dirname(cand)
                    self._walk(cand, modpath + (name,), sub, tree)
                    break


def mod_of(tree, path):
    for mp, f in tree.items():
        if f == path:
            return mp
    raise KeyError(path)


def analyse(tree, root):
    """Returns (edges {file: {file}}, upward [(file, path text)])."""
    files = {f: mp for mp, f in tree.items()}
    # `#[macro_export]` puts a macro at the crate root whichever file defines it.
    macros = {
        m.group(1)
        for f in files
        for m in re.finditer(r"macro_rules!\s*(" + IDENT + ")", open(f, encoding="utf-8").read())
    }
    root_items = set()
    root_text = None
    edges = {f: set() for f in files}
    upward = []
    for f, mp in files.items():
        text = open(f, encoding="utf-8").read()
        text = strip_comments_and_strings(text)
        if f == root:
            root_text = text
        children = {m[-1] for m in tree if len(m) == len(mp) + 1 and m[: len(mp)] == mp}
        scopes = inline_modules(text)
        aliases = {}
        paths = []  # (segments, module path of the inline scope they are written in)
        for um in re.finditer(r"\buse\s+([^;]*);", text):
            here = mp + scope_at(scopes, um.start())
            for path, bound in expand_use_tree(um.group(1)):
                paths.append((path, here))
                if bound:
                    aliases[bound] = path
        # Paths in code: `crate::a::b`, `super::x`, `self::x`, `child::x`, `alias::x`.
        # `$crate` (macros) is left out.
        for pm in re.finditer(r"(?<![\w:$])(" + IDENT + r"(?:\s*::\s*" + IDENT + r")+)", text):
            segs = tuple(s.strip() for s in pm.group(1).split("::"))
            if segs[0] in ("crate", "super", "self") or segs[0] in children or segs[0] in aliases:
                paths.append((segs, mp + scope_at(scopes, pm.start())))
        for segs, here in paths:
            absolute = resolve(segs, here, children if here == mp else set(), aliases, depth=0)
            if absolute is None:
                continue
            # Longest module prefix that has a file.
            k = len(absolute)
            while k > 0 and absolute[:k] not in tree:
                k -= 1
            target = tree[absolute[:k]]
            if k == 0 and absolute and f != root and absolute[0] not in macros | {"*"}:
                # Reported as upward, not as an edge: the root is everyone's parent.
                upward.append((f, "crate::" + absolute[0]))
            elif target != f and absolute[:k] != here[:k]:
                # An edge to an ancestor module's file (`super::Shared` from a child) is
                # not one: a module file is the namespace its children share.
                edges[f].add(target)
    del root_items, root_text
    return edges, upward


def inline_modules(text):
    """[(start, end, name)] of each inline `mod NAME { ... }` block."""
    spans = []
    for m in re.finditer(r"\bmod\s+(" + IDENT + r")\s*\{", text):
        depth, i = 0, m.end() - 1
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        spans.append((m.start(), i, m.group(1)))
    return spans


def scope_at(spans, pos):
    """The inline module path at `pos` (outermost first)."""
    return tuple(name for start, end, name in spans if start < pos < end)


def resolve(segs, mp, children, aliases, depth):
    """Absolute module path (without `crate`) of a path named in module `mp`, or None
    when it leaves the crate."""
    if depth > 8:
        return None
    if segs[0] == "crate":
        return segs[1:]
    if segs[0] == "self":
        return mp + segs[1:]
    if segs[0] == "super":
        base = mp
        while segs and segs[0] == "super":
            if not base:
                return None
            base, segs = base[:-1], segs[1:]
        return base + segs
    if segs[0] in children:
        return mp + segs
    if segs[0] in aliases and aliases[segs[0]] != segs:
        target = aliases[segs[0]]
        if target[0] in ("crate", "super", "self") or target[0] in children:
            inner = resolve(target, mp, children, {}, depth + 1)
            return None if inner is None else inner + segs[1:]
    return None


def sccs(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def check(crate_dirs, allow_path):
    cycles, upwards = set(), set()
    for d in crate_dirs:
        crate = Crate(d)
        for root, tree in crate.trees:
            edges, upward = analyse(tree, root)
            for comp in sccs(edges):
                cycles.add(" ".join(os.path.relpath(f, ROOT) for f in comp))
            for f, p in upward:
                upwards.add(f"upward {os.path.relpath(f, ROOT)} {p}")
    allowed = set()
    if allow_path and os.path.exists(allow_path):
        for line in open(allow_path, encoding="utf-8"):
            line = line.split("#", 1)[0].strip()
            if line:
                allowed.add(" ".join(line.split()))
    problems = []
    for c in sorted(cycles - allowed):
        if not c.startswith("upward "):
            problems.append(f"import cycle: {c}")
    for u in sorted(upwards - allowed):
        problems.append(f"upward import to the crate root: {u[len('upward '):]}")
    for stale in sorted(allowed - cycles - upwards):
        problems.append(f"allow-list entry matches nothing (remove it from {os.path.relpath(allow_path, ROOT)}): {stale}")
    return problems


def main(argv):
    allow = os.path.join(ROOT, "tools", "import_cycles.allow")
    args = list(argv)
    if args[:1] == ["--allow"]:
        if len(args) < 2:
            print(__doc__, file=sys.stderr)
            return 2
        allow, args = args[1], args[2:]
    dirs = args or sorted(
        os.path.join(ROOT, "crates", d)
        for d in os.listdir(os.path.join(ROOT, "crates"))
        if os.path.isfile(os.path.join(ROOT, "crates", d, "Cargo.toml"))
    )
    problems = check([os.path.abspath(d) for d in dirs], allow)
    for p in problems:
        print(f"import_cycles: {p}", file=sys.stderr)
    if problems:
        print(
            "import_cycles: a file-level cycle or an upward import (see tools/import_cycles.py's header)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
