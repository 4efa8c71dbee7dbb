"""An example django-expense-ai plugin: one statement parser and one AI provider.

It is installed as its own distribution (``pyproject.toml`` beside this file
declares the entry point), and the library finds it without any change:

* ``ExampleBankParser`` reads the CSV export of the fictional Example Bank
  (``Buchungstag;Verwendungszweck;Betrag;Waehrung``, dates ``DD.MM.YYYY``,
  amounts ``-1.234,56``);
* ``SelfHostedProvider`` talks to a self-hosted, OpenAI-compatible server
  (Ollama, vLLM, llama.cpp ...) with the standard library only. Its URL is
  ``EXPENSE_AI["PROVIDER_BASE_URLS"]["selfhosted"]``; its key, when the server
  wants one, is the Django setting ``EXAMPLE_SELFHOSTED_API_KEY``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings as django_settings

from django_expense_ai import hookimpl
from django_expense_ai.exceptions import CorruptStatement, ProviderError
from django_expense_ai.providers.base import Messages, Provider, Usage, normalize_usage
from django_expense_ai.providers.scrub import scrub
from django_expense_ai.statements.parsers import StatementParser
from django_expense_ai.statements.types import ParsedStatement, StatementDocument, StatementRow

__version__ = "1.0.0"

# -- the statement parser ------------------------------------------------------

HEADER = ["Buchungstag", "Verwendungszweck", "Betrag", "Waehrung"]


class ExampleBankParser(StatementParser):
    """Reads Example Bank's semicolon CSV export."""

    name = "example-bank"
    format = "csv"

    def claim(self, document: StatementDocument) -> float:
        """0.95 for a CSV starting with Example Bank's header, else 0.

        Outbids the generic ``csv`` parser (0.5) on this bank's files only.
        """
        if document.format != "csv":
            return 0.0
        first_line = document.text.lstrip("\ufeff").partition("\n")[0].strip()
        return 0.95 if first_line.split(";") == HEADER else 0.0

    def parse(self, document: StatementDocument) -> ParsedStatement:
        """Read every row.

        :returns: a :class:`ParsedStatement` with one row per booking.
        :raises CorruptStatement: a row without four fields, a bad date or amount.
        """
        lines = csv.reader(io.StringIO(document.text.lstrip("\ufeff")), delimiter=";")
        next(lines)  # the header, checked by claim()
        rows = []
        for number, fields in enumerate(lines, start=2):
            if not any(field.strip() for field in fields):
                continue
            try:
                day, description, amount, currency = (field.strip() for field in fields)
                rows.append(
                    StatementRow(
                        date=dt.datetime.strptime(day, "%d.%m.%Y").date(),
                        description=description,
                        # German style: "." groups thousands, "," is the decimal point.
                        amount=Decimal(amount.replace(".", "").replace(",", ".")),
                        currency=currency.upper(),
                    )
                )
            except (ValueError, InvalidOperation) as err:
                raise CorruptStatement(
                    f"Example Bank export, line {number}: cannot read {fields!r}."
                ) from err
        return ParsedStatement(
            format="csv",
            parser=self.name,
            rows=tuple(rows),
            raw_text=document.text,
            currency=rows[0].currency if rows else None,
        )


# -- the AI provider -----------------------------------------------------------


class SelfHostedProvider(Provider):
    """An OpenAI-compatible ``/chat/completions`` endpoint, over ``urllib``.

    The base class builds the prompts, masks statement text, parses and
    validates the answer; this class only sends the request (``send``).
    """

    name = "selfhosted"
    label = "Self-hosted LLM (OpenAI-compatible)"
    extra = ""  # standard library only: nothing to install

    @property
    def default_model(self) -> str:
        """``EXPENSE_AI["DEFAULT_MODELS"]["selfhosted"]``, else ``llama3.1``."""
        return super().default_model or "llama3.1"

    def send(
        self, messages: Messages, *, api_key: str, model: str, json_schema: dict[str, Any] | None = None
    ) -> tuple[str, Usage]:
        """POST the messages; one attempt of ``PROVIDER_TIMEOUT`` seconds.

        :returns: the answer's text and token usage.
        :raises ProviderError: not configured, refused, timed out or unreachable.
        """
        if not self.base_url:
            raise ProviderError(
                'Set EXPENSE_AI["PROVIDER_BASE_URLS"]["selfhosted"] to your server\'s URL.',
                provider=self.name,
                kind="not_configured",
            )
        # AISettings has no key column for this provider, so the library passes
        # api_key=""; the key comes from this plugin's own setting.
        key = api_key or getattr(django_settings, "EXAMPLE_SELFHOSTED_API_KEY", "")
        body = {"model": model, "messages": messages, "response_format": {"type": "json_object"}}
        request = urllib.request.Request(
            f"{self.base_url.rstrip('/')}/chat/completions",
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {key}"} if key else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as err:
            # The library only knows the key it passed (""): scrub ours here.
            said = scrub(err.read().decode("utf-8", "replace")[:300], [key])
            raise self.status_error(err.code, said, model=model) from None
        except TimeoutError:
            raise self.timeout_error() from None
        except urllib.error.URLError as err:
            if isinstance(err.reason, TimeoutError):
                raise self.timeout_error() from None
            raise self.connection_error(err) from None
        usage = answer.get("usage") or {}
        return answer["choices"][0]["message"]["content"] or "", normalize_usage(
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
            total_tokens=usage.get("total_tokens"),
        )


# -- the hooks -----------------------------------------------------------------


@hookimpl
def register_statement_parsers(register):
    register(ExampleBankParser())


@hookimpl
def register_providers(register):
    register(SelfHostedProvider)
