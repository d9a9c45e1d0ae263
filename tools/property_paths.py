"""Print the property paths of each resource type spotcover emits, from the registry
schemas the pinned cfn-lint ships (cfnlint/data/schemas, us-east-1 provider).

One line per path: `TYPE PATH FACTS`, segments joined by `/`; `*` is any list item, `#`
any key of a map, and a path ending in `/**` takes anything below it (free-form JSON such
as an event pattern or a policy document). FACTS are what the schema says of the value,
space-separated: `type=string|integer`, `min=N`, `max=N` (numbers), `minlen=N`,
`maxlen=N` (strings), `enum=a|b` (when no value has a space or `|`), `required` (its
parent requires it). Then one line per attribute `Fn::GetAtt` can name:
`TYPE GetAtt:NAME` (the schema's readOnlyProperties, nested names joined by `.`). `spotcover` embeds the output
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


def facts(schema, node, required):
    """What the schema says of one value: its types, bounds, choices, and whether its
    parent requires it."""
    types, out = [], {}
    for n in variants(schema, node):
        t = n.get("type")
        for one in t if isinstance(t, list) else [t]:
            if one and one not in types:
                types.append(one)
        for key, name in (("minimum", "min"), ("maximum", "max"), ("minLength", "minlen"), ("maxLength", "maxlen")):
            if key in n and name not in out:
                out[name] = n[key]
        if "enum" in n and "enum" not in out:
            values = [str(v) for v in n["enum"]]
            if all(isinstance(v, str) for v in n["enum"]) and not any(" " in v or "|" in v or not v for v in values):
                out["enum"] = "|".join(values)
    parts = []
    if types:
        parts.append("type=" + "|".join(sorted(types)))
    for name in ("min", "max", "minlen", "maxlen", "enum"):
        if name in out:
            v = out[name]
            parts.append(f"{name}={int(v) if isinstance(v, float) and v.is_integer() else v}")
    if required:
        parts.append("required")
    return parts


def add(out, path, parts):
    """Records a path; the facts of its first reading win."""
    out.setdefault(path, parts)


def walk(schema, node, path, out, depth):
    if depth > DEPTH:
        add(out, path + "/**", [])
        return
    nodes = variants(schema, node)
    structured = False
    for n in nodes:
        types = n.get("type")
        types = types if isinstance(types, list) else [types]
        if "items" in n:
            structured = True
            add(out, path + "/*", facts(schema, n["items"], False))
            walk(schema, n["items"], path + "/*", out, depth + 1)
        if n.get("properties"):
            structured = True
            required = n.get("required", [])
            for name, sub in n["properties"].items():
                child = name if not path else path + "/" + name
                add(out, child, facts(schema, sub, name in required))
                walk(schema, sub, child, out, depth + 1)
        if n.get("patternProperties"):
            structured = True
            for sub in n["patternProperties"].values():
                add(out, path + "/#", facts(schema, sub, False))
                walk(schema, sub, path + "/#", out, depth + 1)
        if "object" in types and not n.get("properties") and not n.get("patternProperties"):
            structured = True
            add(out, path + "/**", [])
        if "array" in types and "items" not in n:
            structured = True
            add(out, path + "/**", [])
    return structured


def main(types):
    provider = json.load(open(os.path.join(BASE, "providers", "us-east-1.json")))
    for t in sorted(types):
        schema = json.load(open(os.path.join(BASE, "resources", provider[t] + ".json")))
        out = {}
        top = {"properties": schema["properties"], "required": schema.get("required", [])}
        walk(schema, top, "", out, 0)
        for p in sorted(out):
            print(" ".join([t, p] + out[p]))
        attrs = sorted(
            ro[len("/properties/"):].replace("/", ".")
            for ro in schema.get("readOnlyProperties", [])
            if ro.startswith("/properties/")
        )
        for a in attrs:
            print(f"{t} GetAtt:{a}")


if __name__ == "__main__":
    main(sys.argv[1:])
