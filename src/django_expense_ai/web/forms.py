"""Forms of the pages: they validate input; every write goes through a service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ..models import Account, StatementPassword
from ..models.choices import ChatParserChoice, MergeStrategy, QuickAddMode
from ..statements.review import review_wanted
from ..types import RequestUser, UserLike
from ..validators import validate_file_pattern


class ChatForm(forms.Form):
    """The message box: one field, ``text``."""

    text = forms.CharField(
        max_length=4000, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "@alice $50 lunch at pizza place",
                                      "aria-label": "Message"}),
    )


class ChatPreferencesForm(forms.Form):
    """The two chat switches of the user's preferences."""

    quick_add_mode = forms.ChoiceField(choices=QuickAddMode.choices, label="Parsing")
    default_chat_parser = forms.ChoiceField(choices=ChatParserChoice.choices, label="Default parser")


class UploadForm(forms.Form):
    """A statement file, its account, and (for a locked PDF) its password."""

    file = forms.FileField(label="Statement file", help_text="PDF, CSV, OFX or QFX as downloaded from the bank.")
    account = forms.ModelChoiceField(queryset=Account.objects.none(), required=False, empty_label="(no account)")
    password = forms.CharField(
        required=False, strip=False, label="PDF password (if it has one)",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    remember = forms.BooleanField(required=False, label="Remember for files like this")
    password_hint = forms.CharField(required=False, max_length=255, label="Hint (never the password)")
    review = forms.BooleanField(
        required=False, label="Review the rows before they are imported",
        help_text="See every row and its duplicate check, choose, then commit.",
    )

    def __init__(self, *args: Any, user: RequestUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = Account.objects.for_user(user)
        # Ticked by default where the user (or else the site) asks for reviews.
        self.fields["review"].initial = review_wanted(user)


class UnlockForm(forms.Form):
    """The password a locked statement asked for."""

    password = forms.CharField(
        strip=False, label="Statement password",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    remember = forms.BooleanField(required=False, label="Remember for files like this")
    password_hint = forms.CharField(required=False, max_length=255, label="Hint (never the password)")


class MergeActionForm(forms.Form):
    """One move of a merge: approve, reject, complete (with a strategy) or undo."""

    action = forms.ChoiceField(choices=[(a, a) for a in ("approve", "reject", "complete", "undo")])
    strategy = forms.ChoiceField(choices=MergeStrategy.choices, required=False)
    remove = forms.MultipleChoiceField(required=False, choices=())

    def __init__(self, *args: Any, removable: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["remove"]).choices = [(str(pk), str(pk)) for pk in removable]


def _first_of_month() -> dt.date:
    return timezone.localdate().replace(day=1)


class ApplyTemplateForm(forms.Form):
    """Apply a budget template with a monthly income."""

    monthly_income = forms.DecimalField(min_value=0, max_digits=15, decimal_places=4, label="Monthly income")
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text="Default: the first day of this month.")

    def clean_start_date(self) -> dt.date:
        return self.cleaned_data.get("start_date") or _first_of_month()


class SuggestBudgetForm(forms.Form):
    """Ask for a suggested budget (AI when opted in, else the user's history)."""

    monthly_income = forms.DecimalField(min_value=0, max_digits=15, decimal_places=4, label="Monthly income")


class KeysForm(forms.Form):
    """API keys: write-only; empty keeps the stored key, ``-`` clears it."""

    active_parser_provider = forms.ChoiceField(choices=(), label="AI provider")
    openai_key = forms.CharField(required=False, strip=True, label="OpenAI key",
                                 widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    claude_key = forms.CharField(required=False, strip=True, label="Anthropic (Claude) key",
                                 widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    gemini_key = forms.CharField(required=False, strip=True, label="Google Gemini key",
                                 widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))

    def __init__(self, *args: Any, provider_choices: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["active_parser_provider"]).choices = provider_choices


class PasswordBookForm(forms.Form):
    """A new entry of the statement password book (the password is never shown again)."""

    password = forms.CharField(strip=False, widget=forms.PasswordInput(render_value=False,
                                                                      attrs={"autocomplete": "off"}))
    password_hint = forms.CharField(required=False, max_length=255, label="Hint")
    file_pattern = forms.CharField(required=False, max_length=255, validators=[validate_file_pattern],
                                   label="File name pattern", help_text=r"A regular expression, e.g. estatement_\d+\.pdf")
    account = forms.ModelChoiceField(queryset=Account.objects.none(), required=False, empty_label="(any account)")
    is_default = forms.BooleanField(required=False, label="Try first for this account")

    def __init__(self, *args: Any, user: RequestUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = Account.objects.for_user(user)

    @sensitive_variables()
    def save(self, user: UserLike) -> StatementPassword:
        """Store the entry for ``user``; model validation (clashing defaults) raises ValidationError."""
        data = self.cleaned_data
        entry = StatementPassword(user=user, account=data.get("account"), password_hint=data["password_hint"],
                                  file_pattern=data["file_pattern"], is_default=data["is_default"])
        entry.set_password(data["password"])
        entry.full_clean(exclude=["encrypted_password"])
        entry.save()
        return entry


class PreferencesForm(forms.Form):
    """The user's preferences."""

    default_currency = forms.CharField(max_length=3, min_length=3)
    sidebar_collapsed = forms.BooleanField(required=False, label="Collapse the sidebar")
    quick_add_mode = forms.ChoiceField(choices=QuickAddMode.choices, label="Chat parsing")
    default_chat_parser = forms.ChoiceField(choices=ChatParserChoice.choices, label="Default chat parser")
    review_uploads = forms.NullBooleanField(
        required=False, label="Review statement rows before they are imported", widget=forms.NullBooleanSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # NullBooleanSelect's values, with words for this question.
        self.fields["review_uploads"].widget.choices = [
            ("unknown", "As the site decides"), ("true", "Yes"), ("false", "No"),
        ]

    def clean_default_currency(self) -> str:
        from ..money import is_known_currency

        code = self.cleaned_data["default_currency"].upper()
        if not is_known_currency(code):
            raise forms.ValidationError("Use an ISO 4217 code such as USD, EUR or JPY.")
        return code
