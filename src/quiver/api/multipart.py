"""Streaming ``multipart/form-data`` reader for the upload API.

File parts go to disk through a ``Stager`` as they arrive; text fields are kept
in memory up to a bound. Any malformation is an ``Invalid`` with a reason.

Bounds besides the file's own (docs/operations/security.md, "Limits"): at most ``MAX_PARTS`` parts
(each costs parsing however empty it is: 400,000 empty fields took 21 s), a part's
headers at most ``MAX_PART_HEAD_BYTES``, and field text and part headers together at most
the caller's ``field_limit``. twine sends one part per value of every multi-valued field
(classifiers, requires_dist, provides_extra, ...), and packages with many extras have
hundreds of such values, so the part limit is far above what a form of a few dozen fields
would suggest.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser

from quiver.api.header_params import parse_header_params
from quiver.domain.errors import Invalid
from quiver.services.publish.service import StagedFile, Stager

FLUSH_BYTES = 1024 * 1024
MAX_PARTS = 4096
MAX_PART_HEAD_BYTES = 8 * 1024


@dataclass
class UploadForm:
    """The fields of an upload form (every value of each) and its one staged file."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    file: StagedFile | None = None

    def one(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def discard(self) -> None:
        if self.file is not None:
            self.file.discard()


def boundary_of(content_type: str | None) -> bytes:
    kind, params = parse_header_params(content_type or "")
    if kind != "multipart/form-data":
        raise Invalid("Upload must be multipart/form-data.")
    boundary = params.get("boundary")
    if not boundary:
        raise Invalid("Malformed multipart body: the boundary is missing.")
    return boundary.encode("latin-1")


class _Part:
    def __init__(self) -> None:
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.head_bytes = 0
        self.headers: dict[str, str] = {}
        # headers whose bytes are not UTF-8 (decoded with U+FFFD for what they are not)
        self.not_utf8: set[str] = set()
        self.name: str | None = None
        self.filename: str | None = None
        self.text = bytearray()
        self.stager: Stager | None = None
        # other file parts (gpg_signature, attestations) are accepted and not kept
        self.ignored = False


class FormReader:
    """Feeds body chunks to the parser; file data is flushed to disk off the event loop."""

    def __init__(self, boundary: bytes, tmp_dir: Path, file_limit: int, field_limit: int) -> None:
        self.tmp_dir = tmp_dir
        self.file_limit = file_limit
        self.field_limit = field_limit
        self.field_bytes = 0
        self.parts = 0
        self.form = UploadForm()
        self.part = _Part()
        self.pending: list[bytes] = []
        self.pending_size = 0
        self.stagers: list[Stager] = []
        self.error: Invalid | None = None
        self.ended = False
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": self._header_name,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done,
                "on_part_data": self._data,
                "on_part_end": self._end_part,
                "on_end": self._end,
            },
        )

    def _begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise Invalid(f"Upload form has more than {MAX_PARTS} parts.")
        self.part = _Part()

    def _header_name(self, data: bytes, start: int, end: int) -> None:
        self._count_head(end - start)
        self.part.header_name.extend(data[start:end])

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_head(end - start)
        self.part.header_value.extend(data[start:end])

    def _count_head(self, size: int) -> None:
        self.part.head_bytes += size
        self.field_bytes += size
        if self.part.head_bytes > MAX_PART_HEAD_BYTES:
            raise Invalid(
                f"A part of the upload form has headers over {MAX_PART_HEAD_BYTES} bytes."
            )
        if self.field_bytes > self.field_limit:
            raise Invalid("Upload form fields are too large.")

    def _header_end(self) -> None:
        name = self.part.header_name.decode("latin-1").strip().lower()
        try:
            self.part.headers[name] = self.part.header_value.decode("utf-8")
        except UnicodeDecodeError:
            self.part.headers[name] = self.part.header_value.decode("utf-8", "replace")
            self.part.not_utf8.add(name)
        self.part.header_name.clear()
        self.part.header_value.clear()

    def _headers_done(self) -> None:
        if "content-disposition" in self.part.not_utf8:
            # the filename would be published with U+FFFD in place of what it really was
            self.error = Invalid(
                "Malformed multipart body: a part's name or filename is not UTF-8."
            )
            return
        _, params = parse_header_params(self.part.headers.get("content-disposition", ""))
        name, filename = params.get("name"), params.get("filename")
        if name is None:
            self.error = Invalid("Malformed multipart body: a part has no name.")
            return
        self.part.name = name
        self.part.ignored = isinstance(filename, str) and name != "content"
        if isinstance(filename, str) and name == "content":
            if self.form.file is not None or self.stagers:
                self.error = Invalid("Upload must contain exactly one file.")
                return
            self.part.filename = filename
            self.part.stager = Stager(self.tmp_dir, filename, self.file_limit)
            self.stagers.append(self.part.stager)

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self.part.stager is not None:
            chunk = bytes(data[start:end])
            self.pending.append(chunk)
            self.pending_size += len(chunk)
            return
        if self.part.ignored or self.part.name is None:
            return
        self.field_bytes += end - start
        if self.field_bytes > self.field_limit:
            self.error = Invalid("Upload form fields are too large.")
            return
        self.part.text.extend(data[start:end])

    def _end_part(self) -> None:
        if self.part.stager is not None or self.part.name is None or self.part.ignored:
            return
        try:
            value = self.part.text.decode("utf-8")
        except UnicodeDecodeError:
            self.error = Invalid(f"Form field {self.part.name!r} is not UTF-8.")
            return
        self.form.fields.setdefault(self.part.name, []).append(value)

    def _end(self) -> None:
        self.ended = True

    async def feed(self, chunk: bytes) -> None:
        if self.error is None:
            try:
                self.parser.write(chunk)
            except MultipartParseError:
                self.error = Invalid("Malformed multipart body.")
            except Invalid as err:  # a bound was passed: parse no further
                self.error = err
        if self.pending_size >= FLUSH_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        if not self.pending or not self.stagers:
            return
        data, self.pending, self.pending_size = b"".join(self.pending), [], 0
        await asyncio.to_thread(self.stagers[-1].write, data)

    async def finish(self) -> UploadForm:
        """The parsed form; raises Invalid (removing staged data) for any malformation."""
        await self._flush()
        try:
            if self.error is None and not self.ended:
                self.error = Invalid("Malformed multipart body: it ends early.")
            if self.error is not None:
                raise self.error
            if self.stagers:
                self.form.file = self.stagers[0].finish()
            return self.form
        except BaseException:
            for stager in self.stagers:
                stager.discard()
            raise


async def read_form(
    stream: AsyncIterator[bytes],
    content_type: str | None,
    tmp_dir: Path,
    *,
    file_limit: int,
    field_limit: int,
) -> UploadForm:
    """Read a whole upload body from ``stream``; the caller discards ``form.file`` after use."""
    reader = FormReader(boundary_of(content_type), tmp_dir, file_limit, field_limit)
    try:
        async for chunk in stream:
            await reader.feed(chunk)
    except BaseException:
        for stager in reader.stagers:
            stager.discard()
        raise
    return await reader.finish()
