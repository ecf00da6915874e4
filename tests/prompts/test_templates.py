"""Every prompt renders with its placeholders filled, and refuses unknown or missing values."""

import pytest

from prompts import ALL, WRITE_SCRIPT


@pytest.mark.parametrize("prompt", ALL, ids=lambda p: p.name)
def test_each_prompt_renders(prompt):
    text = prompt.render(**{name: f"<{name}>" for name in prompt.placeholders})
    assert "$" not in text
    for name in prompt.placeholders:
        assert f"<{name}>" in text


def test_missing_value_raises():
    with pytest.raises(KeyError):
        WRITE_SCRIPT.render(topic="coffee")


def test_unknown_value_raises():
    with pytest.raises(KeyError):
        WRITE_SCRIPT.render(**{n: 1 for n in WRITE_SCRIPT.placeholders}, colour="red")
