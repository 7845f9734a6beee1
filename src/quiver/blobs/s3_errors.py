"""S3 failures as one-line BlobStoreError messages that never carry credentials."""

from __future__ import annotations

import re

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from quiver.blobs.store import BlobStoreError

_MISSING = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})
_URL_CREDENTIALS = re.compile(r"://[^/\s@]+@")
# A query string; one that names an X-Amz- parameter (a presigned URL) is dropped. Matching
# every query and testing it in Python keeps this linear (a pattern with X-Amz- inside
# backtracked quadratically over long text).
_QUERY = re.compile(r"\?[^\s\"']*")
_LIMIT = 400
NO_CREDENTIALS = (
    "no AWS credentials were found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
    "AWS_PROFILE, or another standard AWS credential source)"
)


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def is_missing(err: ClientError) -> bool:
    """The key (or bucket) does not exist."""
    return error_code(err) in _MISSING


def is_past_end(err: ClientError) -> bool:
    """A range that starts past the end of the object (416)."""
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(err) == "InvalidRange" or status == 416


def describe(err: BotoCoreError | ClientError) -> str:
    """What went wrong, in words the server's operator can act on."""
    if isinstance(err, NoCredentialsError | PartialCredentialsError):
        return NO_CREDENTIALS
    if isinstance(err, EndpointConnectionError):
        return f"cannot connect to {err.kwargs.get('endpoint_url', 'the endpoint')}"
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        code = error.get("Code") or "error"
        message = error.get("Message")
        words = f"{code} (HTTP {status})"
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"):
            words += ": check the AWS credentials and the bucket's permissions"
        elif code in ("301", "PermanentRedirect", "AuthorizationHeaderMalformed"):
            words += ": the bucket may be in another region (set QUIVER_S3_REGION)"
        elif message:
            words += f": {message}"
        return words
    return str(err)


def one_line(text: str) -> str:
    """Whitespace collapsed, signed queries and URL credentials removed, length capped."""
    text = " ".join(text.split())
    text = _QUERY.sub(_without_signature, _URL_CREDENTIALS.sub("://", text))
    return text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…"


def _without_signature(match: re.Match[str]) -> str:
    query = match.group(0)
    return "?…" if "x-amz-" in query.lower() else query


def s3_failure(action: str, target: str, err: BotoCoreError | ClientError) -> BlobStoreError:
    """``S3 <action> <target> failed: <why>`` as a BlobStoreError."""
    return BlobStoreError(one_line(f"S3 {action} {target} failed: {describe(err)}"))
