"""schemathesis hooks for tools/api/schemathesis-hub: what a valid request needs that an OpenAPI
document cannot say, so that the requests meant to be valid are valid and the hub's happy paths
are exercised, not only its refusals.

- Content-SHA256 is the SHA-256 of the body: a well-formed digest header gets the real digest of
  the bytes sent (a malformed one is left alone, for the hub to refuse).
- A valid instance chunk starts where the hub's bytes end and fits in Upload-Length: chunks
  with well-formed upload headers start at 0 and either complete it (201) or leave one byte (202, and the
  same key again is the 409 of a wrong offset); the stateful phase's chunks follow the links.
- A device acts as itself: a request without Fluorobox-Device gets the test device's header (the
  development plain-HTTP hub identifies devices by it); hello and heartbeat name the device in
  the path, and a valid request's header names the same device.
- A valid Range's end is not before its start.
- Enrolment needs a real certificate request: valid requests carry one made for this run, and
  the first valid one also the one-time token made for it (201; later ones are 403, used).
"""

import hashlib
import json
import os
import re

import schemathesis
from schemathesis.core import NotSet

DEVICE = os.environ.get("FLUOROBOX_API_DEVICE", "schemathesis-box")
CSR = os.environ.get("FLUOROBOX_API_CSR", "")
TOKEN = os.environ.get("FLUOROBOX_API_TOKEN", "")
DIGEST = re.compile(r"^[0-9a-f]{64}$")
DECIMAL = re.compile(r"^[0-9]{1,19}$")
_token_used = False


def _body_bytes(case):
    """The bytes the requests transport sends for the case's body (None: no body)."""
    body = case.body
    if body is None or isinstance(body, NotSet):
        return None
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(getattr(body, "data", None), bytes):
        return body.data  # schemathesis's Binary: a str subclass wrapping the bytes
    if case.media_type == "application/json":
        try:
            return json.dumps(body, allow_nan=False).encode()
        except (TypeError, ValueError):
            return None
    if isinstance(body, str):
        return body.encode()
    try:
        return bytes(body)
    except TypeError:
        return None


def _is_positive(case):
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


def _is_stateful(case):
    meta = getattr(case, "meta", None)
    return meta is not None and str(meta.phase.name) == "stateful"


@schemathesis.hook
def before_call(context, case, kwargs):
    global _token_used
    path = case.operation.path
    headers = case.headers if case.headers is not None else {}
    positive = _is_positive(case)

    if path.startswith("/v1/devices/"):
        named = (case.path_parameters or {}).get("device")
        if positive and isinstance(named, str) and "Fluorobox-Device" in headers:
            headers["Fluorobox-Device"] = named
    elif path not in ("/v1/health", "/v1/enrolment") and "Fluorobox-Device" not in headers:
        headers["Fluorobox-Device"] = DEVICE

    # Also for cases generated as invalid: schemathesis classifies the case again after this hook,
    # and one whose only flaw was here (or an extra header) is then valid and must be accepted.
    if path == "/v1/instances/{key}" and case.method.upper() == "PUT" and not _is_stateful(case):
        data = _body_bytes(case) or b""
        offset, length = str(headers.get("Upload-Offset", "")), str(headers.get("Upload-Length", ""))
        # Only a chunk whose three headers are all there and well-formed: a missing or malformed
        # one is what the hub must refuse.
        if DECIMAL.match(offset) and DECIMAL.match(length) and DIGEST.match(str(headers.get("Content-SHA256", ""))):
            headers["Upload-Offset"] = "0"
            headers["Upload-Length"] = str(len(data) + (1 if int(length) % 2 or not data else 0))
            headers["Content-SHA256"] = hashlib.sha256(data + b"\0" * (int(headers["Upload-Length"]) - len(data))).hexdigest()
    elif isinstance(headers.get("Content-SHA256"), str) and DIGEST.match(headers["Content-SHA256"]) and case.method.upper() == "PUT":
        if path != "/v1/instances/{key}":
            data = _body_bytes(case)
            if data is not None:
                headers["Content-SHA256"] = hashlib.sha256(data).hexdigest()

    # A valid range is not reversed (the document's pattern cannot compare two numbers).
    reversed_range = re.match(r"^bytes=([0-9]+)-([0-9]+)$", str(headers.get("Range", "")))
    if reversed_range and int(reversed_range[1]) > int(reversed_range[2]):
        headers["Range"] = f"bytes={reversed_range[2]}-{reversed_range[1]}"

    if path == "/v1/enrolment" and positive and isinstance(case.body, dict) and CSR:
        case.body["csr"] = CSR
        if TOKEN and not _token_used:
            case.body["token"] = TOKEN
            _token_used = True

    if headers:
        case.headers = headers
