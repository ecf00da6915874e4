"""Reading local source files and picking the facts worth citing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.errors import BadInput
from tools.sources import MAX_SOURCE_BYTES, extract_facts, read_source

MARKDOWN = """---
title: "A History of Coffee"
---
# The history of coffee

Coffee was first cultivated in **Yemen** in the 15th century, according to [most historians](https://x.org).
Legend says a goatherd named _Kaldi_ saw his goats dancing after eating berries, e.g. in Ethiopia.

![a coffee plant](plant.png)

## Spread

- By 1554, the first coffee houses had opened in Istanbul and drew large crowds.
- Dr. Rauwolf described the drink in 1582 after travelling through the Ottoman Empire.
* Click here to subscribe to our newsletter for more coffee stories every week.

```python
print("This code line must not become a fact in the output.")
```

| Year | Event |
|------|-------|
| 1554 | Istanbul |

Today Brazil produces about 3.5 million tonnes of coffee per year, more than any other country.
Is coffee good for you, and should you drink it every single day?
"""

HTML = """<!doctype html><html><head><title>Coffee in Europe | Example News</title>
<style>p { color: red }</style><script>var s = "Coffee was banned in 1700 by the king of it all.";</script>
</head><body><header><h1>Example News</h1><nav><a href="/">Home</a> A long navigation line about coffee.</nav>
</header><main><article><h1>Coffee reaches Europe</h1>
<p>Venetian merchants brought coffee to Europe in 1615, and the first coffee house opened in 1645.</p>
<p>In London, coffee houses were called &ldquo;penny universities&rdquo; because a cup cost one penny.</p>
<div class="cookie-banner">We use cookies to improve your experience, please accept them all now.</div>
</article></main><aside>Related: ten things about tea that nobody ever tells you about.</aside>
<footer>All rights reserved by Example News and its many partners around the world.</footer></body></html>
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_loses_its_syntax_and_keeps_its_title(tmp_path):
    title, text = read_source(_write(tmp_path / "coffee.md", MARKDOWN))
    assert title == "A History of Coffee"
    assert "Coffee was first cultivated in Yemen in the 15th century, according to most historians." in text
    assert "named Kaldi saw" in text
    for syntax in ("**", "](", "![", "```", "print(", "# ", "|---", "title:"):
        assert syntax not in text
    assert "By 1554, the first coffee houses had opened in Istanbul and drew large crowds." in text


def test_markdown_title_falls_back_to_the_first_heading(tmp_path):
    title, _ = read_source(_write(tmp_path / "notes.markdown", "Intro\n=====\n\nSome text here.\n"))
    assert title == "Intro"


def test_html_main_text_without_page_furniture(tmp_path):
    title, text = read_source(_write(tmp_path / "europe.html", HTML))
    assert title == "Coffee in Europe"
    assert "Venetian merchants brought coffee to Europe in 1615" in text
    assert "\u201cpenny universities\u201d" in text
    for furniture in ("var s", "color: red", "Home", "navigation", "cookies", "Related", "rights reserved"):
        assert furniture not in text


def test_html_title_falls_back_to_h1_then_stem(tmp_path):
    title, _ = read_source(
        _write(tmp_path / "a.htm", "<body><h1>Big <b>news</b></h1><p>Some text.</p></body>")
    )
    assert title == "Big news"
    title, _ = read_source(_write(tmp_path / "coffee_notes-2024.html", "<p>Just a paragraph of text.</p>"))
    assert title == "coffee notes 2024"


def test_plain_text_title_is_a_short_first_line_or_the_stem(tmp_path):
    title, text = read_source(_write(tmp_path / "t.txt", "Coffee notes\n\nCoffee contains caffeine.\n"))
    assert (title, text) == ("Coffee notes", "Coffee notes\n\nCoffee contains caffeine.")
    title, _ = read_source(_write(tmp_path / "my_notes.txt", "Coffee contains caffeine. It is bitter.\n"))
    assert title == "my notes"


def test_byte_order_marks_are_accepted(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffCaf\u00e9 culture spread fast.".encode())
    assert read_source(path)[1] == "Caf\u00e9 culture spread fast."
    path.write_bytes("Caf\u00e9 culture spread fast.".encode("utf-16"))
    assert read_source(path)[1] == "Caf\u00e9 culture spread fast."


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.md"
    with pytest.raises(BadInput) as caught:
        read_source(missing)
    assert str(caught.value) == f"source file not found: {missing}; check the path"


def test_directory(tmp_path):
    with pytest.raises(BadInput, match="is a directory"):
        read_source(tmp_path)


@pytest.mark.parametrize(
    "data",
    [b"PNG\x00\x01\x02binary", b"caf\xe9 in latin-1 \xc3\x28", b"\xff\xfe\x01\x00\x02\x00\x03\x00\x04\x00"],
)
def test_binary(tmp_path, data):
    path = tmp_path / "image.txt"
    path.write_bytes(data)
    with pytest.raises(BadInput) as caught:
        read_source(path)
    assert str(caught.value).startswith(f"{path} looks binary; sources are .txt, .md or .html text files")


@pytest.mark.parametrize(
    "content", ["", "   \n\n  ", "<html><script>x()</script></html>", "```\ncode\n```\n"]
)
def test_empty_after_extraction(tmp_path, content):
    suffix = ".html" if content.startswith("<") else ".md"
    with pytest.raises(BadInput, match="no readable text"):
        read_source(_write(tmp_path / f"empty{suffix}", content))


@pytest.mark.parametrize("name", ["report.pdf", "data.json", "README"])
def test_unsupported_extension(tmp_path, name):
    with pytest.raises(BadInput, match="unsupported extension"):
        read_source(_write(tmp_path / name, "Some text."))


def test_too_big(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)
    with pytest.raises(BadInput, match="at most 5 MB"):
        read_source(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable(tmp_path):
    path = _write(tmp_path / "secret.txt", "Hidden text.")
    path.chmod(0)
    try:
        with pytest.raises(BadInput, match="permission denied"):
            read_source(path)
    finally:
        path.chmod(0o600)


def test_unreadable_even_as_root(tmp_path, monkeypatch):
    import tools.sources.files

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    path = _write(tmp_path / "secret.txt", "Hidden text.")
    monkeypatch.setattr(tools.sources.files, "open", refuse, raising=False)
    with pytest.raises(BadInput, match=r"cannot read .*secret.txt: permission denied"):
        read_source(path)


def test_errors_are_one_line(tmp_path):
    for path in (tmp_path / "missing.txt", tmp_path, _write(tmp_path / "x.pdf", "x")):
        with pytest.raises(BadInput) as caught:
            read_source(path)
        assert "\n" not in str(caught.value) and ";" in str(caught.value)


def test_facts_are_informative_declarative_sentences_in_order(tmp_path):
    title, text = read_source(_write(tmp_path / "coffee.md", MARKDOWN))
    facts = extract_facts(title, text, "coffee.md")
    texts = [fact["text"] for fact in facts]
    assert texts == [
        "Coffee was first cultivated in Yemen in the 15th century, according to most historians.",
        "Legend says a goatherd named Kaldi saw his goats dancing after eating berries, e.g. in Ethiopia.",
        "By 1554, the first coffee houses had opened in Istanbul and drew large crowds.",
        "Dr. Rauwolf described the drink in 1582 after travelling through the Ottoman Empire.",
        "Today Brazil produces about 3.5 million tonnes of coffee per year, more than any other country.",
    ]
    assert all(fact["source"] == "coffee.md" for fact in facts)


def test_boilerplate_questions_and_fragments_are_dropped():
    text = (
        "We use cookies to give you the best experience on our website today.\n\n"
        "Subscribe to our newsletter and never miss a single story from us.\n\n"
        "Is coffee really the most traded commodity in the whole world?\n\n"
        "Too short to use.\n\n"
        "Coffee Basics\n"
        "Roasting turns green coffee beans brown through the Maillard reaction at high heat.\n"
    )
    texts = [fact["text"] for fact in extract_facts("Coffee", text, "s")]
    assert texts == ["Roasting turns green coffee beans brown through the Maillard reaction at high heat."]


def test_near_duplicates_are_dropped_keeping_the_first():
    text = (
        "The first coffee house in London opened in 1652 near Cornhill.\n\n"
        "The first coffee house in London opened in 1652, near Cornhill.\n\n"
        "The first coffee house in London opened in 1652 near Cornhill!\n\n"
        "Coffee arrived in the Americas with Dutch and French colonial traders."
    )
    texts = [fact["text"] for fact in extract_facts("Coffee", text, "s")]
    assert texts == [
        "The first coffee house in London opened in 1652 near Cornhill.",
        "Coffee arrived in the Americas with Dutch and French colonial traders.",
    ]


def test_limit_keeps_the_most_informative_in_document_order():
    plain = [
        "Some people like to drink it black without any milk or sugar.",
        "Others prefer it sweet and mixed with plenty of warm milk.",
        "The taste changes a lot depending on how long beans are roasted.",
        "Grinding the beans just before brewing keeps more of the aroma.",
        "Water that is too hot can make the cup taste bitter and flat.",
        "A clean grinder and a clean pot make a noticeable difference.",
    ]
    rich = "In 1720, Gabriel de Clieu carried a coffee plant to Martinique across the Atlantic."
    text = "\n\n".join(plain[:3] + [rich] + plain[3:])
    facts = extract_facts("Coffee", text, "s", limit=3)
    assert len(facts) == 3
    assert rich in [fact["text"] for fact in facts]
    positions = [text.index(fact["text"]) for fact in facts]
    assert positions == sorted(positions)
    assert extract_facts("Coffee", text, "s", limit=0) == []
