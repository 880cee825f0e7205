import pytest

from bot.knowledge.telegram_html import (
    TelegramHTMLError,
    check_entities,
    to_plain_text,
    utf16_length,
    visible_text,
)


@pytest.mark.parametrize(
    "markup",
    [
        "plain text",
        "<b>bold</b> and <i>italic</i> and <u>u</u> <s>s</s>",
        '<a href="https://www.nhs.uk/">NHS</a>',
        "1 mg &lt; 2 mg &amp; 3 &gt; 2 &quot;ok&quot; &#9989;",
        "<blockquote>quote</blockquote><code>x</code><pre>y</pre>",
        '<span class="tg-spoiler">hidden</span>',
    ],
)
def test_accepts_what_telegram_accepts(markup: str) -> None:
    assert check_entities(markup) == []


@pytest.mark.parametrize(
    ("markup", "problem"),
    [
        ("<p>paragraph</p>", 'Unsupported start tag "p"'),
        ("line<br>break", 'Unsupported start tag "br"'),
        ("<b>unclosed", 'Unclosed tag "b"'),
        ("<b><i>crossed</b></i>", 'Unmatched end tag "b"'),
        ("fish & chips", 'Unescaped "&"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ("<a>no link</a>", 'Tag "a" must have an href'),
        ('<b class="x">x</b>', 'Unsupported attribute "class"'),
        ('<span class="red">x</span>', 'must have class "tg-spoiler"'),
    ],
)
def test_rejects_what_telegram_refuses(markup: str, problem: str) -> None:
    problems = check_entities(markup)
    assert any(problem in p for p in problems), problems
    with pytest.raises(TelegramHTMLError, match="can't parse entities"):
        visible_text(markup)


def test_visible_text_decodes_entities_and_drops_tags() -> None:
    assert visible_text("<b>1 mg</b> &amp; 1000 mcg") == "1 mg & 1000 mcg"


def test_utf16_length_counts_emoji_twice() -> None:
    assert utf16_length("ab") == 2
    assert utf16_length("🩺") == 2


def test_plain_text_shows_link_addresses() -> None:
    assert (
        to_plain_text('See <a href="https://nice.org.uk/x">NICE</a>.')
        == "See NICE <https://nice.org.uk/x>."
    )
