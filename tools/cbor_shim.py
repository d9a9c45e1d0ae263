#!/usr/bin/env python3
"""CloudWatch rpc-v2-cbor -> awsJson1.0 reverse proxy for tests against moto.

aws-sdk-cloudwatch (>= 1.100) speaks Smithy rpc-v2-cbor, which moto does not;
moto does speak CloudWatch's awsJson1.0 protocol. This shim translates the
wire format only, and nothing else:

Request  ``POST /service/GraniteServiceVersion20100801/operation/<Op>`` with a
         CBOR map body  ->  ``POST /`` to the upstream with
         ``X-Amz-Target: GraniteServiceVersion20100801.<Op>``,
         ``Content-Type: application/x-amz-json-1.0`` and the same map as JSON:
         CBOR tag-1 timestamps -> epoch seconds (number), byte strings ->
         base64 text. The ``Authorization`` and ``X-Amz-Date`` headers are
         passed on (moto reads the region from them).
Response the upstream's status code is kept; its JSON body -> CBOR map:
         values of keys named ``*Timestamp``, ``*Timestamps``, ``*Date`` (and
         ``Timestamp``/``Timestamps``) -> CBOR tag 1 with epoch seconds (so
         ``MetricDataResults[].Timestamps`` and ``Datapoints[].Timestamp``
         decode as timestamps). Errors keep their ``__type`` (taken from the
         body, else from ``X-Amzn-ErrorType``) and ``message``; a non-JSON
         upstream error body becomes ``{"__type": "InternalFailure"}``.
         Every response carries ``smithy-protocol: rpc-v2-cbor`` and
         ``Content-Type: application/cbor``.
Any other path answers 404. Every semantic answer comes from the upstream.

Usage: python tools/cbor_shim.py --listen 127.0.0.1:PORT --upstream http://127.0.0.1:MOTOPORT
Needs ``cbor2`` (in the project venv).
"""

import argparse
import base64
import datetime
import json
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cbor2

SERVICE = "GraniteServiceVersion20100801"
PREFIX = f"/service/{SERVICE}/operation/"


def to_json(v):
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, datetime.datetime):
        return v.timestamp()
    if isinstance(v, cbor2.CBORTag) and v.tag == 1:
        return v.value
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    return v


def is_time_key(k):
    return k in ("Timestamp", "Timestamps") or k.endswith(("Timestamp", "Timestamps", "Date"))


def epoch(x):
    if isinstance(x, str):  # moto may answer ISO 8601 text
        x = datetime.datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp()
    return cbor2.CBORTag(1, x)


def to_cbor(v, key=""):
    if isinstance(v, dict):
        return {k: to_cbor(x, k) for k, x in v.items()}
    if isinstance(v, list):
        if is_time_key(key):
            return [epoch(x) for x in v]
        return [to_cbor(x) for x in v]
    if is_time_key(key) and isinstance(v, (int, float, str)):
        return epoch(v)
    return v


class Shim(BaseHTTPRequestHandler):
    upstream = ""

    def reply(self, status, obj):
        body = cbor2.dumps(obj)
        self.send_response(status)
        self.send_header("smithy-protocol", "rpc-v2-cbor")
        self.send_header("Content-Type", "application/cbor")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.path.startswith(PREFIX):
            return self.reply(404, {"__type": "UnknownOperationException"})
        op = self.path[len(PREFIX):]
        payload = to_json(cbor2.loads(raw)) if raw else {}
        headers = {
            "X-Amz-Target": f"{SERVICE}.{op}",
            "Content-Type": "application/x-amz-json-1.0",
        }
        for h in ("Authorization", "X-Amz-Date"):
            if self.headers.get(h):
                headers[h] = self.headers[h]
        req = urllib.request.Request(
            self.upstream + "/", data=json.dumps(payload).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req) as r:
                status, text, etype = r.status, r.read(), r.headers.get("X-Amzn-ErrorType")
        except urllib.error.HTTPError as e:
            status, text, etype = e.code, e.read(), e.headers.get("X-Amzn-ErrorType")
        try:
            answer = json.loads(text) if text.strip() else {}
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if status >= 300:
            etype = answer.get("__type") or (etype or "InternalFailure").split(":")[0]
            answer = {"__type": etype, **{k: v for k, v in answer.items() if k != "__type"}}
        self.reply(status, to_cbor(answer))

    def log_message(self, fmt, *args):
        sys.stderr.write("cbor_shim: " + (fmt % args) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True, help="HOST:PORT to listen on")
    ap.add_argument("--upstream", required=True, help="moto base URL, e.g. http://127.0.0.1:5000")
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    Shim.upstream = a.upstream.rstrip("/")
    ThreadingHTTPServer((host, int(port)), Shim).serve_forever()


if __name__ == "__main__":
    main()
