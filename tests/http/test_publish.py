"""The upload API: what is accepted, and every rejection leaving nothing behind."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from quiver.services.packages.models import File, FilenameRecord, Package, Version
from tests.http.publishing import context_of, form_for, make_feed, upload, upload_url
from tests.support.dists import build_sdist, build_wheel, metadata_text

FEED = "acme/libs"


async def _counts(api: httpx.AsyncClient) -> tuple[int, int, int, int]:
    ctx = context_of(api)
    async with ctx.sessions() as session:
        counts = []
        for table in (Package, Version, File, FilenameRecord):
            counts.append(await session.scalar(select(func.count()).select_from(table)) or 0)
    return counts[0], counts[1], counts[2], counts[3]


def _stored_files(api: httpx.AsyncClient) -> list[Path]:
    settings = context_of(api).settings
    return [p for p in settings.data_dir.rglob("*") if p.is_file() and "blobs" in p.parts] + [
        p for p in settings.tmp_dir.rglob("*") if p.is_file()
    ]


async def assert_nothing_left(api: httpx.AsyncClient) -> None:
    assert await _counts(api) == (0, 0, 0, 0)
    assert _stored_files(api) == []


async def test_publish_wheel_and_sdist(api: httpx.AsyncClient, tmp_path: Path) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "Foo.Bar", "1.0", requires_python=">=3.9")
    sdist = build_sdist(tmp_path, "foo-bar", "1.0")
    for path in (wheel, sdist):
        response = await upload(api, FEED, path)
        assert response.status_code == 200, response.text
    assert await _counts(api) == (1, 1, 2, 2)
    ctx = context_of(api)
    async with ctx.sessions() as session:
        rows = (await session.scalars(select(File).order_by(File.id))).all()
    assert [r.filename for r in rows] == [wheel.name, sdist.name]
    assert rows[0].metadata_sha256 is not None
    assert rows[1].metadata_sha256 is None
    assert rows[0].requires_python == ">=3.9"


@pytest.mark.parametrize(
    "metadata_version", ["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"]
)
async def test_every_metadata_version(
    api: httpx.AsyncClient, tmp_path: Path, metadata_version: str
) -> None:
    await make_feed(api, FEED)
    extra = ""
    if metadata_version >= "2.4":
        extra = "License-Expression: MIT OR Apache-2.0\nLicense-File: LICENSE\n"
    if metadata_version == "2.5":
        extra += "Import-Name: pkg\n"
    wheel = build_wheel(
        tmp_path, "pkg", "1.0", metadata_version=metadata_version, extra_metadata=extra
    )
    response = await upload(api, FEED, wheel)
    assert response.status_code == 200, response.text


async def test_reupload_is_409_and_deleted_names_stay_taken(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    assert (await upload(api, FEED, wheel)).status_code == 200
    again = await upload(api, FEED, wheel)
    assert again.status_code == 409
    assert "already exists" in again.json()["message"]
    ctx = context_of(api)
    async with ctx.sessions() as session, session.begin():
        file = await session.scalar(select(File))
        assert file is not None
        await session.delete(file)
    gone = await upload(api, FEED, wheel)
    assert gone.status_code == 409
    assert "can never be reused" in gone.json()["message"]


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg-1.0.dist-info/METADATA", metadata_text("pkg", "1.0"))
        with archive.open("pkg/bomb.bin", "w") as member:
            for _ in range(64):
                member.write(b"\0" * (1024 * 1024))
    return buffer.getvalue()


BAD_FILES = {
    "not an archive": ("pkg-1.0-py3-none-any.whl", b"this is not a zip file", "zip"),
    "not a tar": ("pkg-1.0.tar.gz", b"\x1f\x8b garbage", "tar.gz"),
    "wheel without METADATA": (
        "pkg-1.0-py3-none-any.whl",
        _zip({"pkg/__init__.py": b""}),
        "METADATA",
    ),
    "huge METADATA": (
        "pkg-1.0-py3-none-any.whl",
        _zip(
            {
                "pkg-1.0.dist-info/METADATA": metadata_text("pkg", "1.0").encode()
                + b"\n"
                + random.Random(0).randbytes(5 * 1024 * 1024).hex().encode()
            }
        ),
        "limit",
    ),
    "zip bomb": ("pkg-1.0-py3-none-any.whl", _zip_bomb(), "compression"),
    "bad metadata": (
        "pkg-1.0-py3-none-any.whl",
        _zip({"pkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: pkg\n"}),
        "metadata",
    ),
    "metadata of another package": (
        "pkg-1.0-py3-none-any.whl",
        _zip({"pkg-1.0.dist-info/METADATA": metadata_text("other", "1.0").encode()}),
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
async def test_bad_files_are_400_and_leave_nothing(
    api: httpx.AsyncClient, tmp_path: Path, case: str
) -> None:
    await make_feed(api, FEED)
    filename, data, words = BAD_FILES[case]
    path = tmp_path / filename
    path.write_bytes(data)
    response = await upload(api, FEED, path)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert words.lower() in message.lower()
    await assert_nothing_left(api)


# case: (filename sent, form fields changed, words expected in the reason)
BAD_FORMS: dict[str, tuple[str | None, dict[str, str], str]] = {
    "path separator": ("../pkg-1.0-py3-none-any.whl", {}, "path"),
    "backslash": ("x\\pkg-1.0-py3-none-any.whl", {}, "path"),
    "not a distribution": ("pkg-1.0.exe", {}, "only wheels"),
    "form version not PEP 440": (None, {"version": "one point oh"}, "PEP 440"),
    "form name disagrees": (None, {"name": "other"}, "names package"),
    "sha256 mismatch": (None, {"sha256_digest": "0" * 64}, "sha256 digest"),
    "md5 mismatch": (None, {"md5_digest": "0" * 32}, "md5 digest"),
    "blake2 mismatch": (None, {"blake2_256_digest": "0" * 64}, "blake2_256 digest"),
    "filetype disagrees": (None, {"filetype": "sdist"}, "filetype"),
    "other action": (None, {":action": "doc_upload"}, ":action"),
}


@pytest.mark.parametrize("case", sorted(BAD_FORMS))
async def test_bad_forms_are_400_and_leave_nothing(
    api: httpx.AsyncClient, tmp_path: Path, case: str
) -> None:
    await make_feed(api, FEED)
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    filename, changed, words = BAD_FORMS[case]
    fields = form_for(wheel, overrides=changed)
    response = await upload(api, FEED, wheel, fields=fields, filename=filename)
    assert response.status_code == 400, response.text
    assert words.lower() in response.json()["message"].lower()
    assert words.lower() in response.headers.get("x-quiver-reason", words).lower()
    await assert_nothing_left(api)


async def test_too_large_is_refused(api: httpx.AsyncClient, tmp_path: Path) -> None:
    await make_feed(api, FEED)
    big = build_wheel(tmp_path, "pkg", "1.0", module_code="# " + "x" * 10)
    data = big.read_bytes()
    padded = _zip(
        {
            "pkg-1.0.dist-info/METADATA": metadata_text("pkg", "1.0").encode(),
            "pkg/blob.bin": random.Random(1).randbytes(6 * 1024 * 1024),  # incompressible
        }
    )
    assert len(padded) > 5 * 1024 * 1024 > len(data)
    response = await upload(api, FEED, big, data=padded)
    assert response.status_code == 400
    assert "too large" in response.json()["message"]
    await assert_nothing_left(api)


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        (
            b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb',
            "multipart/form-data; boundary=xyz",
            "ends early",
        ),
        (b"garbage", "multipart/form-data", "boundary"),
        (b"name=pkg", "application/x-www-form-urlencoded", "multipart"),
        (
            b'--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\npkg\r\n--xyz--\r\n',
            "multipart/form-data; boundary=xyz",
            "no file",
        ),
    ],
)
async def test_malformed_multipart(
    api: httpx.AsyncClient, body: bytes, content_type: str, words: str
) -> None:
    await make_feed(api, FEED)
    response = await api.post(
        upload_url(FEED), content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400, response.text
    assert words in response.json()["message"]
    await assert_nothing_left(api)


async def test_upload_needs_credentials(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_feed(api, FEED, visibility="public")
    wheel = build_wheel(tmp_path, "pkg", "1.0")
    response = await upload(anon, FEED, wheel)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    bad = await upload(anon, FEED, wheel, headers={"Authorization": "Basic dXNlcjpub3BlCg=="})
    assert bad.status_code == 401
    await assert_nothing_left(api)
