"""Continuation tokens of the change feed and audit log: round trip and refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiver.domain.continuation import MAX_TOKEN, Position, read_token
from quiver.domain.errors import Invalid


@given(
    log=st.sampled_from(["changes", "audit"]),
    feed_id=st.integers(min_value=1, max_value=2**31),
    seq=st.integers(min_value=0, max_value=2**62),
)
def test_round_trip(log: str, feed_id: int, seq: int) -> None:
    token = Position(log, feed_id, seq).token()
    assert len(token) <= MAX_TOKEN
    assert token.replace("-", "").replace("_", "").isalnum()
    assert read_token(token, log, feed_id, "acme/libs") == Position(log, feed_id, seq)


def test_foreign_tokens_are_refused() -> None:
    token = Position("changes", 7, 42).token()
    with pytest.raises(Invalid, match="change feed of feed acme/x"):
        read_token(token, "changes", 8, "acme/x")
    with pytest.raises(Invalid, match="audit log"):
        read_token(token, "audit", 7, "acme/x")


@given(st.text(max_size=60))
def test_garbage_is_refused_with_a_sentence(text: str) -> None:
    try:
        position = read_token(text, "changes", 1, "acme/libs")
    except Invalid as err:
        assert "continuation token" in str(err)
    else:  # a valid token by chance: it must name this log and feed
        assert position.log == "changes"
        assert position.feed_id == 1
