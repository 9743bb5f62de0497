"""Money as the pages show it."""

from decimal import Decimal

from ui.templatetags.ui import wan


def test_wan_shows_ten_thousands_with_two_places() -> None:
    assert wan(Decimal("12345678.00")) == "1,234.57"
    assert wan(None) == "—"
