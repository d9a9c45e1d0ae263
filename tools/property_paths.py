"""Print the property paths of each resource type spotcover emits, from the registry
schemas the pinned cfn-lint ships (cfnlint/data/schemas, us-east-1 provider).

One line per path: `TYPE PATH`, segments joined by `/`; `*` is any list item, `#` any key
of a map, and a path ending in `/**` takes anything below it (free-form JSON such as an
event pattern or a policy document). `spotcover` embeds the output
(crates/stack/src/property_paths.txt) to check `overrides:`; a test compares the committed
file with this script's output.

Usage: .venv/bin/python tools/property_paths.py TYPE... > crates/stack/src/property_paths.txt
"""

import json
import os
import sys

import cfnlint

BASE = os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas")
DEPTH = 12


def resolve(schema, node):
    seen = 0
    while "$ref" in node and seen < 20:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target = schema
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


def variants(schema, node):
    """A node and the alternatives it allows (oneOf/anyOf/allOf), resolved."""
    node = resolve(schema, node)
    out = [node]
    for key in ("oneOf", "anyOf", "allOf"):
        for alt in node.get(key, []):
            out.extend(variants(schema, alt))
    return out


def walk(schema, node, path, out, depth):
    if depth > DEPTH:
        out.add(path + "/**")
        return
    nodes = variants(schema, node)
    structured = False
    for n in nodes:
        types = n.get("type")
        types = types if isinstance(types, list) else [types]
        if "items" in n:
            structured = True
            out.add(path + "/*")
            walk(schema, n["items"], path + "/*", out, depth + 1)
        if n.get("properties"):
            structured = True
            for name, sub in n["properties"].items():
                child = name if not path else path + "/" + name
                out.add(child)
                walk(schema, sub, child, out, depth + 1)
        if n.get("patternProperties"):
            structured = True
            for sub in n["patternProperties"].values():
                out.add(path + "/#")
                walk(schema, sub, path + "/#", out, depth + 1)
        if "object" in types and not n.get("properties") and not n.get("patternProperties"):
            structured = True
            out.add(path + "/**")
        if "array" in types and "items" not in n:
            structured = True
            out.add(path + "/**")
    return structured


def main(types):
    provider = json.load(open(os.path.join(BASE, "providers", "us-east-1.json")))
    for t in sorted(types):
        schema = json.load(open(os.path.join(BASE, "resources", provider[t] + ".json")))
        out = set()
        walk(schema, {"properties": schema["properties"]}, "", out, 0)
        for p in sorted(out):
            print(t, p)


if __name__ == "__main__":
    main(sys.argv[1:])
