"""German sentence ends: abbreviations and ordinal numbers keep their sentence whole; real ends split."""

from __future__ import annotations

import pytest

from tools.sources import extract_facts
from tools.text import split_sentences

WHOLE = [
    "Gletscher bedecken z. B. große Teile von Grönland und der Antarktis.",
    "Die Pläne stammten u. a. von Leon Moisseiff und Charles Alton Ellis.",
    "Über die Brücke führt der Highway Nr. 101 nach Norden.",
    "Die Baukosten betrugen rund 35 Mio. US-Dollar.",
    "Die Brücke wurde am 27. Mai 1937 eröffnet.",
    "Am 5. Januar 1933 begann der Bau unter Joseph B. Strauss.",
    "Im 19. Jahrhundert wuchs die Stadt schnell.",
    "Der 2. Weltkrieg endete in Europa im Mai 1945.",
    "Das Gesetz steht in Art. 5 des Grundgesetzes.",
    "Die Stadt wurde 753 v. Chr. gegründet, heißt es.",
    "Sie ist bzw. war die größte Stadt der Region.",
    "Die Brücke ist ca. 2,7 Kilometer lang und 27 Meter breit.",
]


@pytest.mark.parametrize("sentence", WHOLE)
def test_a_full_stop_inside_a_german_sentence_does_not_end_it(sentence):
    assert split_sentences(sentence, "de") == [sentence]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Er starb 44 v. Chr. Danach herrschte Augustus.",
            ["Er starb 44 v. Chr.", "Danach herrschte Augustus."],
        ),
        ("Sie lebt dort seit 1990. Die Stadt wuchs.", ["Sie lebt dort seit 1990.", "Die Stadt wuchs."]),
        ("Er kaufte Äpfel, Birnen usw. Dann ging er.", ["Er kaufte Äpfel, Birnen usw.", "Dann ging er."]),
        ("Das ist eine seltene Art. Sie lebt im Wald.", ["Das ist eine seltene Art.", "Sie lebt im Wald."]),
        ("Er sagte: „Ja.“ Dann ging er.", ["Er sagte: „Ja.“", "Dann ging er."]),
        (
            "Die Brücke ist orange. 1964 verlor sie den Rekord.",
            ["Die Brücke ist orange.", "1964 verlor sie den Rekord."],
        ),
    ],
)
def test_a_german_sentence_still_ends_at_its_full_stop(text, sentences):
    assert split_sentences(text, "de") == sentences


def test_english_rules_would_cut_the_german_sentences():
    # Why the language matters: by English rules "27." and "z." end sentences.
    assert len(split_sentences("Die Brücke wurde am 27. Mai 1937 eröffnet.", "en")) == 2
    assert len(split_sentences(WHOLE[0], "en")) == 2


def test_german_facts_are_whole_sentences():
    text = (
        "Die Golden Gate Bridge wurde am 27. Mai 1937 für Fußgänger und Radfahrer eröffnet. "
        "Ihre Pylone sind z. B. vom Hafen aus bei klarem Wetter sehr gut zu sehen."
    )
    facts = extract_facts("Golden Gate Bridge", text, "s", lang="de")
    assert [fact["text"] for fact in facts] == [
        "Die Golden Gate Bridge wurde am 27. Mai 1937 für Fußgänger und Radfahrer eröffnet.",
        "Ihre Pylone sind z. B. vom Hafen aus bei klarem Wetter sehr gut zu sehen.",
    ]
