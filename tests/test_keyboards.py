import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge.catalog import load_catalog
from bot.knowledge.render import Choice
from bot.reminders.offsets import PICKABLE_ZONES
from bot.telegram import care_keyboards, dose_keyboards, guided_keyboards
from bot.telegram.keyboards import (
    CONFIRMATIONS,
    MANAGE_OPS,
    Confirm,
    Feedback,
    ForgetMine,
    Home,
    Manage,
    Menu,
    MoveZone,
    OpenTopic,
    PickTopic,
    PickZone,
    Share,
    answer_keyboard,
    clarify_keyboard,
    decode,
    encode,
    home_keyboard,
    menu_keyboard,
)


def _all_buttons(catalog):
    for topic in catalog.topics:
        yield OpenTopic(topic)
        yield PickTopic(topic)
        yield Feedback(topic, True)
        yield Feedback(topic, False)
    yield Menu(None)
    for index in range(len(catalog.menu)):
        yield Menu(index)
    for action in ("ask", "topics", "reminders"):
        yield Home(action)
    for op in MANAGE_OPS.values():
        yield Manage(2**62, op)
    for zone in PICKABLE_ZONES:
        yield PickZone(zone)
    for what in CONFIRMATIONS:
        yield Confirm(what, True)
    yield Share(2**62, True)
    yield ForgetMine(8_000_000_000, True)
    yield ForgetMine(1, False)
    yield MoveZone("America/Argentina/ComodRivadavia", True)  # among the longest names
    yield MoveZone("Etc/GMT-5", False)
    yield Share(1, False)


def test_every_button_round_trips_within_telegrams_limit(catalog) -> None:
    for button in _all_buttons(catalog):
        data = encode(button)
        assert 1 <= len(data.encode()) <= 64
        assert decode(data, catalog) == button


def test_no_button_here_is_taken_by_a_handler_registered_before_the_general_one(catalog) -> None:
    """Care, dose and guided buttons have prefixes of their own, matched first (app.py): a
    general button sharing one would be answered "expired" by them."""
    earlier = (care_keyboards.PATTERN, dose_keyboards.PATTERN, guided_keyboards.PATTERN)
    for button in _all_buttons(catalog):
        data = encode(button)
        assert not any(pattern.match(data) for pattern in earlier), data


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "",
        "t:no-such-topic",
        "p:../../etc",
        "f:frequency:maybe",
        "f:no-topic:y",
        "m:99",
        "m:-1",
        "m:01",
        "m:1.0",
        "h:delete-everything",
        "g:0:y",
        "g:-3:y",
        "g:007:y",
        "g:12:maybe",
        "g:twelve:y",
        "c:share:y",  # the consent prompts of before kept their request in memory
        "c:forget_mine:y",  # as did a member's /forget
        "o:-5:y",
        "o:5:yes",
        "c:move_zone:y",  # the zone used to wait in memory
        "e:y:Narnia/Cair_Paravel",
        "e:y:",
        "e:maybe:Europe/London",
        "x:frequency",
        "t:frequency" + "x" * 80,
        "frequency",
    ],
)
def test_forged_or_stale_data_decodes_to_nothing(catalog, forged) -> None:
    assert decode(forged, catalog) is None


CATALOG = load_catalog()


@given(st.text(max_size=100))
def test_no_data_crashes_the_decoder(data: str) -> None:
    result = decode(data, CATALOG)
    assert result is None or encode(result) == data


def _data(markup) -> list[list[str]]:
    return [[b.callback_data for b in row] for row in markup.inline_keyboard]


def test_answer_keyboard_has_related_topics_then_feedback() -> None:
    markup = answer_keyboard("frequency", [Choice("Missed doses", "missed-dose")])
    assert _data(markup) == [["t:missed-dose"], ["f:frequency:y", "f:frequency:n"]]
    assert answer_keyboard("frequency", [], with_feedback=False) is None


def test_clarify_keyboard_offers_candidates_and_the_menu() -> None:
    markup = clarify_keyboard([Choice("A", "frequency"), Choice("B", "missed-dose")])
    assert _data(markup) == [["p:frequency"], ["p:missed-dose"], ["m:"]]


def test_menu_lists_sections_then_a_sections_topics(catalog) -> None:
    assert _data(menu_keyboard(catalog, None)) == [[f"m:{i}"] for i in range(len(catalog.menu))]
    section = _data(menu_keyboard(catalog, 0))
    assert section[:-1] == [[f"t:{t}"] for t in catalog.menu[0].topics]
    assert section[-1] == ["m:"]


def test_home_keyboard() -> None:
    assert _data(home_keyboard()) == [["h:ask"], ["h:topics"], ["h:reminders"]]
