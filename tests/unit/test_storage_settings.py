"""QUIVER_STORAGE_URL and the S3 settings: what is accepted, and the one-line refusals."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from quiver.blobs.location import FileLocation, S3Location, parse_storage_url
from quiver.blobs.s3_errors import s3_failure
from quiver.domain.errors import Invalid
from quiver.settings import Settings, load_settings


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("s3://quiver", S3Location("quiver", "")),
        ("s3://quiver/", S3Location("quiver", "")),
        ("s3://quiver/team/blobs/", S3Location("quiver", "team/blobs/")),
        ("s3://my.bucket-1/x", S3Location("my.bucket-1", "x/")),
        ("file:///srv/quiver/blobs", FileLocation(Path("/srv/quiver/blobs"))),
        ("file://localhost/srv/b%20c", FileLocation(Path("/srv/b c"))),
    ],
)
def test_accepted(url: str, location: FileLocation | S3Location) -> None:
    assert parse_storage_url(url) == location


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("gs://bucket", "unknown storage URL scheme 'gs'"),
        ("/srv/blobs", "'/srv/blobs' is not a URL"),
        ("s3://", "'' is not a bucket name"),
        ("s3://a/b?x=1", "no query or fragment"),
        ("s3://key:secret@bucket/p", "takes no credentials"),
        ("s3://bucket/../up", "'.' or '..'"),
        ("file://host/srv", "needs an absolute path"),
        ("file:relative", "needs an absolute path"),
    ],
)
def test_refused(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_storage_url(url)


def test_settings_refuse_a_bad_storage_url_in_one_line() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(storage_url="ftp://files")
    (error,) = caught.value.errors()
    assert error["loc"] == ("storage_url",)
    assert error["msg"] == (
        "Value error, unknown storage URL scheme 'ftp'; "
        "use s3://BUCKET[/PREFIX] or file:///ABSOLUTE/PATH"
    )


def test_settings_defaults() -> None:
    settings = Settings()
    assert settings.storage_url is None
    assert settings.s3_presigned_downloads is False
    assert settings.s3_presign_seconds == 300
    with pytest.raises(ValidationError, match="http:// or https://"):
        Settings(s3_endpoint_url="127.0.0.1:9000")
    with pytest.raises(ValidationError):
        Settings(s3_multipart_chunk=1024)  # S3 parts are at least 5 MiB


def test_s3_errors_are_one_line_and_name_no_secret() -> None:
    answer: Any = {
        "Error": {"Code": "InvalidAccessKeyId", "Message": "The key AKIA... is unknown\n"},
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
    denied = ClientError(answer, "PutObject")
    assert str(s3_failure("upload to", "s3://b/k", denied)) == (
        "S3 upload to s3://b/k failed: InvalidAccessKeyId (HTTP 403): "
        "check the AWS credentials and the bucket's permissions"
    )
    answer = {
        "Error": {"Code": "SlowDown", "Message": "see https://u:p@h/x?X-Amz-Signature=abc"},
        "ResponseMetadata": {"HTTPStatusCode": 503},
    }
    odd = ClientError(answer, "GetObject")
    message = str(s3_failure("download of", "s3://b/k", odd))
    assert message == "S3 download of s3://b/k failed: SlowDown (HTTP 503): see https://h/x?…"


def test_load_settings_names_the_variable_in_one_line() -> None:
    with pytest.raises(Invalid) as caught:
        load_settings({"storage_url": "ftp://files"})
    assert str(caught.value) == (
        "QUIVER_STORAGE_URL: unknown storage URL scheme 'ftp'; "
        "use s3://BUCKET[/PREFIX] or file:///ABSOLUTE/PATH"
    )
    with pytest.raises(Invalid, match=r"^QUIVER_PORT: Input should be less than or equal to"):
        load_settings({"port": 70000})
