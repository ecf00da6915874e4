"""load_plan: the plan from --plan FILE or reelforge.toml's [daily]; every problem one BadInput line."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.daily_plan import NO_PLAN
from graph.daily_plan import load_plan as load_plan_of
from graph.settings import load_settings
from state.daily_plan import DailyPlan
from tools.errors import BadInput

ONE_ITEM = '[[daily.items]]\ntopic = "how bees dance"\n'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_plan(home: Path, plan_file: Path | None = None) -> DailyPlan:
    """The plan as a command in `home` reads it: settings first (reelforge.toml), then the plan."""
    return load_plan_of(load_settings(home=home), plan_file)


def bad(home: Path, plan_file: Path | None = None) -> str:
    with pytest.raises(BadInput) as caught:
        load_plan(home, plan_file)
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    return message


def test_daily_table_of_reelforge_toml(home):
    write(
        home / "reelforge.toml",
        '[router]\nfailures_before_cooldown = 2\n\n[daily]\ntime = "30 5 * * 1-5"\nhealth_every_s = 120\n\n'
        '[[daily.items]]\ntopic = "how bees dance"\nduration = 10\nvoice = "espeak"\npreview = true\n\n'
        '[[daily.items]]\nslug = "beans"\nsource = "notes/coffee.md"\n',
    )
    plan = load_plan(home)
    assert (plan.time, plan.health_every_s) == ("30 5 * * 1-5", 120)
    assert [item.slug for item in plan.items] == ["how-bees-dance", "beans"]
    assert (plan.items[0].duration_s, plan.items[0].voice, plan.items[0].preview) == (10, "espeak", True)
    # Relative paths mean the file's folder: cron starts the command somewhere else.
    assert plan.items[1].sources == [{"kind": "file", "ref": str(home / "notes" / "coffee.md")}]


def test_reelforge_config_names_the_file(home, tmp_path, monkeypatch):
    config = write(tmp_path / "etc" / "reelforge.toml", ONE_ITEM)
    monkeypatch.setenv("REELFORGE_CONFIG", str(config))
    assert load_plan(home).items[0].topic == "how bees dance"


def test_plan_file_top_level_is_the_plan(home, tmp_path):
    write(home / "reelforge.toml", '[[daily.items]]\ntopic = "not this one"\n')
    plan_file = write(
        tmp_path / "plans" / "weekdays.toml",
        'time = "0 7 * * *"\n[[items]]\ntopic = "x"\nsources = ["a.md", "/abs/b.txt"]\nmusic = "song.mp3"\n',
    )
    plan = load_plan(home, plan_file)
    assert plan.time == "0 7 * * *"
    (item,) = plan.items
    assert item.sources == [
        {"kind": "file", "ref": str(tmp_path / "plans" / "a.md")},
        {"kind": "file", "ref": "/abs/b.txt"},
    ]
    assert item.music == str(tmp_path / "plans" / "song.mp3")


def test_no_plan_anywhere(home):
    assert bad(home) == NO_PLAN
    write(home / "reelforge.toml", "[router]\ncooldown_s = 5\n")
    assert bad(home) == NO_PLAN


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (
            ONE_ITEM + "durration = 10\n",
            ["unknown key 'durration' in [[daily.items]] #1", "did you mean 'duration'?"],
        ),
        ('[daily]\ntme = "0 6 * * *"\n' + ONE_ITEM, ["unknown key 'tme' in [daily]", "did you mean 'time'?"]),
        (ONE_ITEM + "colour = 'red'\n", ["unknown key 'colour' in [[daily.items]] #1", "known keys: aspect"]),
        ('[daily]\ntime = "0 25 * * *"\n' + ONE_ITEM, ["[daily] time", "bad hour field '25'"]),
        ('[daily]\ntime = "daily"\n' + ONE_ITEM, ["[daily] time", "has 1 fields", 'time = "0 6 * * *"']),
        (ONE_ITEM + ONE_ITEM, ["[[daily.items]]", "two items have the slug 'how-bees-dance'"]),
        (
            ONE_ITEM + '[[daily.items]]\nvoice = "espeak"\n',
            ["[[daily.items]] #2", "needs a topic or a source"],
        ),
        (
            ONE_ITEM + "duration = 5\n",
            ["[[daily.items]] #1: duration 5 s", "use 10 to 600 seconds"],
        ),
        (
            ONE_ITEM + 'aspect = "4:3"\n',
            ["[[daily.items]] #1 aspect: unknown aspect '4:3'", "choose one of 9:16"],
        ),
        (ONE_ITEM + 'duration = "ten"\n', ["[[daily.items]] #1 duration:", "integer"]),
        ("[daily]\n", ["[[daily.items]]", "has no items"]),
        ("daily = 3\n", ["daily must be a table"]),
        ("[daily\n", ["is not valid TOML"]),
    ],
)
def test_bad_plans_name_the_file_the_key_and_the_fix(home, text, needles):
    path = write(home / "reelforge.toml", text)
    message = bad(home)
    assert message.startswith(f"{path}: ") or message.startswith(f"{path} is not"), message
    for needle in needles:
        assert needle in message, message
    assert "--duration" not in message and "--aspect" not in message, message


def test_bad_plan_file(home, tmp_path):
    plan_file = write(tmp_path / "plan.toml", '[[items]]\ntopic = "x"\ndurration = 10\n')
    message = bad(home, plan_file)
    assert message == f"{plan_file}: unknown key 'durration' in [[items]] #1; did you mean 'duration'?"
    write(plan_file, '[[items]]\ntopic = "x"\n[[items]]\ntopic = "X"\n')
    assert "two items have the slug 'x'" in bad(home, plan_file)
    write(plan_file, 'tme = "0 6 * * *"\n[[items]]\ntopic = "x"\n')
    assert "unknown key 'tme' in the top level; did you mean 'time'?" in bad(home, plan_file)


def test_missing_plan_file(home, tmp_path):
    missing = tmp_path / "nope.toml"
    assert bad(home, missing) == f"plan file not found: {missing}; pass an existing TOML file to --plan"
