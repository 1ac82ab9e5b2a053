"""The provider base: request building (parsed URLs cached) and match value comparison."""

from __future__ import annotations

import pytest
from toy_provider import ToyProvider

import crmbridge as cb

T = cb.FieldType


@pytest.fixture
def provider() -> ToyProvider:
    return ToyProvider.from_config(token="t")


def test_cached_urls_keep_each_value_as_given(provider: ToyProvider) -> None:
    """``1 == True`` and ``2 == 2.0``, but their query strings differ."""
    urls = [
        str(provider.build_request("GET", "/x", params=params).url)
        for params in ({"flag": 1}, {"flag": True}, {"n": 2}, {"n": 2.0}, {"l": [1, 2]}, None)
    ]
    assert [u.partition("?")[2] for u in urls] == [
        "flag=1",
        "flag=true",
        "n=2",
        "n=2.0",
        "l=1&l=2",
        "",
    ]


def test_an_invalid_url_is_a_validation_error(provider: ToyProvider) -> None:
    with pytest.raises(cb.ValidationError, match="cannot build a request"):
        provider.build_request("GET", "/records/a\x00b")


@pytest.mark.parametrize(
    ("spec_type", "values", "same"),
    [
        (T.email, ["Ada@Acme.com ", "ada@acme.com"], True),
        (T.domain, ["Acme.COM ", "acme.com"], True),  # DNS names: case-insensitive
        # Scheme, ``www.`` and path are one CRM's rule (Attio's: test_attio_provider.py), not
        # the core's: www.acme.com and acme.com are two hosts.
        (T.domain, ["www.acme.com", "acme.com"], False),
        (T.text, ["WS-ABC", "ws-abc"], False),  # exact, as Attio compares unique text
        (T.text, [" Acme", "Acme"], True),
        (T.number, [1, 1], True),
    ],
)
def test_match_keys(provider: ToyProvider, spec_type: T, values: list[object], same: bool) -> None:
    spec = cb.FieldSpec("key", "Key", spec_type)
    keys = [provider.match_keys(spec, v) for v in values]
    assert (keys[0] == keys[1]) is same
    assert provider.match_keys(cb.FieldSpec("k", "K", T.email, multi=True), ["a@x", None]) == [
        "a@x"
    ]


class _Optional(ToyProvider):
    config_keys = (*ToyProvider.config_keys, "tasks_type", "notes_type")
    option_capabilities = {
        "tasks_type": {"tasks": True, "tasks_delete": True},
        "notes_type": {"notes": True, "notes_create": False},
    }


def test_an_option_turns_on_the_capabilities_it_names_on_the_instance_only() -> None:
    """``Provider.option_capabilities``: applied in ``__init__``, never to the class."""
    plain = _Optional.from_config(token="t")
    both = _Optional.from_config(token="t", tasks_type="to-do", notes_type="call")
    tasks_only = _Optional.from_config(token="t", tasks_type="to-do")
    assert (plain.capabilities.tasks, plain.capabilities.notes) == (False, False)
    assert plain.capabilities is _Optional.capabilities
    assert both.capabilities.tasks
    assert both.capabilities.tasks_delete
    assert both.capabilities.notes
    assert not both.capabilities.notes_create
    assert tasks_only.capabilities.tasks
    assert not tasks_only.capabilities.notes
    assert not _Optional.capabilities.tasks
