from django import forms
from django.test.html import parse_html

from projects.widgets import QuickSelect

CHOICES = [("", "全部"), ("construction", "建设类"), ("operation", "运维类 <&>")]


def _render(widget: type[forms.Select], value: str) -> str:
    field = forms.ChoiceField(choices=CHOICES, required=False, widget=widget)
    form = forms.Form(data={"kind": value})
    form.fields["kind"] = field
    return form["kind"].as_widget(attrs={"aria-describedby": "kind_error", "aria-invalid": "true"})


def test_quick_select_writes_the_markup_of_djangos_select() -> None:
    for value in ["", "operation", "unknown"]:
        assert parse_html(_render(QuickSelect, value)) == parse_html(_render(forms.Select, value))


def test_quick_select_escapes_labels_and_marks_the_choice() -> None:
    html = _render(QuickSelect, "operation")
    assert '<option value="operation" selected>运维类 &lt;&amp;&gt;</option>' in html
    assert 'aria-invalid="true"' in html
