"""Client input is read in time linear in its length (docs/operations/security.md, "Limits").

Each function here reads text a client controls — request paths and headers, the headers
of upload form parts, core metadata, log lines — on the event loop or in every request.
Each is given 100 KB built to make a backtracking parser retry (long runs of what its
patterns repeat) and must finish well within half a second: the access log's redaction
once took 20 s over one such URL and held every other request meanwhile.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from quiver.api.header_params import parse_header_params
from quiver.api.multipart import boundary_of, read_form
from quiver.api.observe import logged_path
from quiver.api.request_limits import head_refusal
from quiver.cli.serverlog import redact
from quiver.domain.errors import Invalid
from quiver.domain.metadata import MAX_CHECKED_CHARS, read_core_metadata

SIZE = 100_000
CONTENT_TYPE = "multipart/form-data; boundary=b"
BUDGET = 0.5
UNITS = [
    "a",
    "a://",
    "://a",
    "a:/",
    ":",
    "/",
    ";",
    " ",
    '"',
    '\\"',
    "=",
    "@",
    "a@",
    "?",
    "a;",
    "; a=",
    ';a="',
    "1.",
    ">=1,",
    "(",
    "a ",
    "b,",
    "and ",
    "MIT OR ",
]


def adversarial(unit: str, prefix: str = "") -> str:
    return prefix + (unit * (SIZE // len(unit) + 1))[:SIZE]


def assert_quick(read: Callable[[str], object], text: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(Invalid):  # a refusal is an answer too
        read(text)
    elapsed = time.perf_counter() - started
    assert elapsed < BUDGET, f"{elapsed:.2f}s for {len(text)} characters of {text[:20]!r}..."


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("prefix", ["", "x", "https://", "GET /"])
def test_log_redaction(unit: str, prefix: str) -> None:
    assert_quick(redact, adversarial(unit, prefix))


def test_log_redaction_still_hides_userinfo() -> None:
    assert redact("git+https://u:pw@h/x 1http://a:b@c ://x@y") == (
        "git+https://***@h/x 1http://***@c ://***@y"
    )
    assert redact("mail a@b, https://h/p?q=a@b") == "mail a@b, https://h/p?q=a@b"


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("prefix", ["", "multipart/form-data; boundary=", "multipart/form-data"])
def test_upload_content_type(unit: str, prefix: str) -> None:
    assert_quick(boundary_of, adversarial(unit, prefix))


@pytest.mark.parametrize("unit", UNITS)
async def test_upload_part_headers(unit: str, tmp_path: Path) -> None:
    disposition = adversarial(unit, 'form-data; name="')
    body = f"--b\r\nContent-Disposition: {disposition}\r\n\r\nx\r\n--b--\r\n".encode()

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    started = time.perf_counter()
    with contextlib.suppress(Invalid):
        await read_form(stream(), CONTENT_TYPE, tmp_path, file_limit=10**6, field_limit=10**6)
    assert time.perf_counter() - started < BUDGET


@pytest.mark.parametrize(
    ("value", "kind", "params"),
    [
        ("multipart/form-data; boundary=xyz", "multipart/form-data", {"boundary": "xyz"}),
        ('Multipart/Form-Data; Boundary="a;b"', "multipart/form-data", {"boundary": "a;b"}),
        (
            'form-data; name="content"; filename="pkg-1.0.whl"',
            "form-data",
            {"name": "content", "filename": "pkg-1.0.whl"},
        ),
        ('form-data; name="a\\"b"; name="second"', "form-data", {"name": 'a"b'}),
        ("form-data; junk; name = x ;", "form-data", {"name": "x"}),
        ('form-data; name="open', "form-data", {"name": "open"}),
        ("text/plain", "text/plain", {}),
        ("", "", {}),
    ],
)
def test_header_parameters_read_as_before(value: str, kind: str, params: dict[str, str]) -> None:
    assert parse_header_params(value) == (kind, params)


@pytest.mark.parametrize("unit", ["/", "a", "a://", "%2F"])
def test_request_head_checks_and_logged_path(unit: str) -> None:
    path = adversarial(unit, "/")

    def check(text: str) -> None:
        scope = {
            "type": "http",
            "method": "POST",
            "path": text,
            "raw_path": text.encode(),
            "query_string": text.encode(),
            "headers": [(b"x-" + text.encode(), text.encode())],
        }
        assert head_refusal(scope, 1024) is not None
        assert len(logged_path(scope)) < 2000

    assert_quick(check, path)


FIELDS = [
    "Requires-Dist: a",
    "Requires-Dist: a; ",
    "Requires-Python: ",
    "Description-Content-Type: text/plain",
    "License-Expression: ",
    "Provides-Extra: ",
    "Project-URL: a, ",
    "Dynamic: ",
    "Keywords: ",
    "Summary: ",
    "Classifier: ",
]


@pytest.mark.parametrize("unit", ["a", ";", ">=1,", "(", "a ", "b,", "and ", "MIT OR ", '"'])
@pytest.mark.parametrize("field", FIELDS)
def test_core_metadata(field: str, unit: str) -> None:
    def read(text: str) -> None:
        read_core_metadata(f"Metadata-Version: 2.4\nName: a\nVersion: 1.0\n{text}\n".encode())

    assert_quick(read, adversarial(unit, field))


def test_core_metadata_too_long_to_check_is_kept_with_a_warning() -> None:
    long_line = "b" + ">=1," * MAX_CHECKED_CHARS
    raw = (
        "Metadata-Version: 2.1\nName: a\nVersion: 1.0\n"
        f"Requires-Dist: c>=1\nRequires-Dist: {long_line}\nRequires-Python: {long_line}\n"
        f"Requires-Dist: d; {'(' * 1500}os_name == 'x'{')' * 1500}\n"
    )
    metadata = read_core_metadata(raw.encode())
    assert metadata.requires_dist == ("c>=1",)
    assert metadata.requires_python is None
    assert any(w.startswith("Requires-Dist: a value of") for w in metadata.warnings)
    assert any(w.startswith("Requires-Python: a value of") for w in metadata.warnings)
    assert any("nest too deeply" in w for w in metadata.warnings)


@pytest.mark.parametrize("unit", ["?", "?a", "a?", "?X-Amz", "\"?'", "://a@"])
def test_s3_error_text(unit: str) -> None:
    from quiver.blobs.s3_errors import one_line

    assert_quick(one_line, adversarial(unit))


def test_s3_error_text_still_hides_signed_queries() -> None:
    from quiver.blobs.s3_errors import one_line

    text = 'GET https://k:s@b.example/x?X-Amz-Signature=abc&X-Amz-Credential=AK "?q=1" done'
    assert one_line(text) == 'GET https://b.example/x?… "?q=1" done'
