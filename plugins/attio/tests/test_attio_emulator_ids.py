"""Ids and timestamps of the Attio emulator (emulator/ids.py): the per-answer helpers built for speed
(issue 24: a GET's CPU) give what the plain ones gave."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from crmbridge_attio.emulator.ids import execution_id, format_timestamp, timestamp_at_ms

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_timestamp_at_ms_is_format_timestamp_of_that_millisecond() -> None:
    for ms in (0, 1, 999, 1_000, 951_782_400_000, 1_709_164_800_123, 1_767_225_599_999,
               4_102_444_800_500, 253_402_300_799_999):  # fmt: skip
        moment = datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=ms % 1000 * 1000)
        assert timestamp_at_ms(ms) == format_timestamp(moment), ms


def test_execution_id_is_a_random_uuid4() -> None:
    ids = {execution_id() for _ in range(2000)}
    assert len(ids) == 2000
    for text in ids:
        assert UUID4.match(text), text
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text
    # every hex digit that is not fixed by the version and variant varies
    assert {t[19] for t in ids} == set("89ab")
