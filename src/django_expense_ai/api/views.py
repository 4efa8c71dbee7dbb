"""Views of the REST API: thin over the services, every queryset ``for_user(request.user)``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from django.db.models import Count, Prefetch, QuerySet, prefetch_related_objects
from django.http import FileResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from ..ai import calls as ai
from ..budgets import services as budget_services
from ..chat import services as chat_services
from ..chat.mentions import mention_suggestions
from ..exceptions import NotYours, OwnershipError, StatementTooLarge
from ..ledger import editing, reports
from ..models import (
    Account,
    Budget,
    BudgetTemplate,
    Category,
    ChatMessage,
    FileStatus,
    Group,
    LogStatus,
    MergeStatus,
    StatementMerge,
    StatementPassword,
    Transaction,
    TransactionSplit,
    UploadedFile,
)
from ..models.swappable import ai_settings_for, preferences_for
from ..money import jsonable, money_str
from ..statements import merges as merge_services
from ..statements import passwords as password_services
from ..statements import review as review_services
from ..statements.pipeline import import_statement, reprocess
from ..types import UserLike
from . import serializers as s
from .feed import Feed
from .filters import TransactionFilter
from .problems import PROBLEM_CONTENT_TYPE, ProblemDetailsMixin, ProblemSerializer, problem
from .throttles import ExpenseAIScopedThrottle

# Every error response documented with the problem-details shape.
_PROBLEMS = {code: OpenApiResponse(ProblemSerializer, description=why) for code, why in (
    (400, "Invalid input (problem details with `errors` by field)."),
    (401, "Not signed in."),
    (403, "Not signed in (session authentication) or a read-only row."),
    (404, "No such row among yours: absent or another user's."),
    (409, "Conflict: the row's state does not allow this (InvalidTransition, MergeError)."),
    (413, "The statement exceeds a configured limit (StatementTooLarge)."),
    (422, "The library refused the values (SplitError, BudgetError, ...)."),
    (429, "Throttled; see Retry-After."),
)}


#: Errors any operation may answer: bad query or body, not signed in, not found (also an
#: invalid cursor), throttled (the host's default throttles apply everywhere).
_ALWAYS = (400, 401, 403, 404, 429)


#: Request fields that carry a password or an API key: hidden from Django's error pages and mails.
_SECRET_FIELDS = ("password", "openai_api_key", "claude_api_key", "gemini_api_key")


def problems(*codes: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Documented error responses, as ``application/problem+json``: ``codes`` plus :data:`_ALWAYS`."""
    return {(code, PROBLEM_CONTENT_TYPE): _PROBLEMS[code] for code in sorted({*codes, *_ALWAYS})}


_COMMON = (400, 401, 403, 404, 422)


if TYPE_CHECKING:
    _MixedInto = GenericAPIView  # every view below is one
else:
    _MixedInto = object


class ExpenseAIView(ProblemDetailsMixin, _MixedInto):
    """Base of every API view: signed-in users only, problem details, the library's throttle scopes."""

    permission_classes: Sequence[type[BasePermission]] = [IsAuthenticated]
    parser_classes: Sequence[type[BaseParser]] = [JSONParser]  # statement uploads add multipart
    # Any id reaches the view, so a malformed one is a problem-details 404 too (not Django's HTML page).
    lookup_value_regex = r"[^/]+"

    def get_throttles(self) -> list[BaseThrottle]:
        # DRF's settings import the class paths; the stub types this setting as the strings.
        classes = cast("Sequence[type[BaseThrottle]]", api_settings.DEFAULT_THROTTLE_CLASSES)
        return [*(t() for t in classes), ExpenseAIScopedThrottle()]

    @property
    def user(self) -> UserLike:
        """The signed-in user (``IsAuthenticated`` lets no one else in)."""
        user = self.request.user
        if not user.is_authenticated:
            raise NotAuthenticated
        return user


class TransactionCursor(CursorPagination):
    ordering = ("-date", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class NewestFirstCursor(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# -- ledger ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.AccountSerializer(many=True), **problems(401, 403)}),
    retrieve=extend_schema(responses={200: s.AccountSerializer, **problems(401, 403, 404)}),
    create=extend_schema(responses={201: s.AccountSerializer, **problems(*_COMMON)}),
    update=extend_schema(responses={200: s.AccountSerializer, **problems(*_COMMON)}),
    partial_update=extend_schema(responses={200: s.AccountSerializer, **problems(*_COMMON)}),
    destroy=extend_schema(responses={204: None, **problems(401, 403, 404)}),
)
class AccountViewSet(ExpenseAIView, viewsets.ModelViewSet):
    """The user's accounts."""

    serializer_class = s.AccountSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return Account.objects.for_user(self.user)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = editing.save_account(self.user, **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = editing.save_account(self.user, serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance: Any) -> None:
        editing.delete_account(self.user, instance)

    @extend_schema(
        parameters=[OpenApiParameter("start", OpenApiTypes.DATE, required=True),
                    OpenApiParameter("end", OpenApiTypes.DATE, required=True)],
        responses={200: s.AccountTotalsSerializer, **problems(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get"])
    def totals(self, request: Request, pk: str | None = None) -> Response:
        """Totals of the account over start..end (reports.account_totals)."""
        account = self.get_object()
        start, end = _date_param(request, "start"), _date_param(request, "end")
        totals = reports.account_totals(account, start, end)
        return Response({
            "account_id": totals.account_id, "start": totals.start, "end": totals.end, "count": totals.count,
            **{name: _amounts(getattr(totals, name)) for name in ("regular", "excluded", "money_in", "money_out",
                                                                   "total")},
        })


def _date_param(request: Request, name: str) -> dt.date:
    value = request.query_params.get(name, "")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise serializers.ValidationError({name: [f"Give {name} as an ISO date (YYYY-MM-DD), not {value!r}."]})


@overload
def _int_param(request: Request, name: str, *, required: Literal[True] = True) -> int: ...
@overload
def _int_param(request: Request, name: str, *, required: bool) -> int | None: ...
def _int_param(request: Request, name: str, *, required: bool = True) -> int | None:
    value = request.query_params.get(name)
    if value in (None, "") and not required:
        return None
    try:
        return int(value or "")  # None and "" fail like any other non-number
    except ValueError:
        raise serializers.ValidationError({name: [f"Give {name} as a whole number, not {value!r}."]})


def _amounts(bucket: dict[str, Any]) -> dict[str, str]:
    return {code: money_str(value) for code, value in bucket.items()}


@extend_schema_view(
    list=extend_schema(responses={200: s.CategorySerializer(many=True), **problems(401, 403)}),
    retrieve=extend_schema(responses={200: s.CategorySerializer, **problems(401, 403, 404)}),
    create=extend_schema(responses={201: s.CategorySerializer, **problems(*_COMMON)}),
    update=extend_schema(responses={200: s.CategorySerializer, **problems(*_COMMON)}),
    partial_update=extend_schema(responses={200: s.CategorySerializer, **problems(*_COMMON)}),
    destroy=extend_schema(responses={204: None, **problems(401, 403, 404)}),
)
class CategoryViewSet(ExpenseAIView, viewsets.ModelViewSet):
    """The user's own categories plus the system ones (read-only: 403)."""

    serializer_class = s.CategorySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return Category.objects.for_user(self.user)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = editing.save_category(self.user, **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = editing.save_category(self.user, serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance: Any) -> None:
        editing.delete_category(self.user, instance)


@extend_schema_view(
    list=extend_schema(responses={200: s.GroupSerializer(many=True), **problems(401, 403)}),
    retrieve=extend_schema(responses={200: s.GroupSerializer, **problems(401, 403, 404)}),
    create=extend_schema(responses={201: s.GroupSerializer, **problems(*_COMMON)}),
    update=extend_schema(responses={200: s.GroupSerializer, **problems(*_COMMON)}),
    partial_update=extend_schema(responses={200: s.GroupSerializer, **problems(*_COMMON)}),
    destroy=extend_schema(responses={204: None, **problems(401, 403, 404)}),
)
class GroupViewSet(ExpenseAIView, viewsets.ModelViewSet):
    """Groups the user created or belongs to; only the creator changes them or adds members."""

    serializer_class = s.GroupSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return Group.objects.for_user(self.user).select_related("created_by").prefetch_related(
            "memberships__user"
        )

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = editing.create_group(self.user, **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        assert serializer.instance is not None  # an update has its row
        name = serializer.validated_data.get("name", serializer.instance.name)
        serializer.instance = editing.rename_group(self.user, serializer.instance, name=name)

    def perform_destroy(self, instance: Any) -> None:
        editing.delete_group(self.user, instance)

    def _fresh(self, group: Group) -> dict[str, Any]:
        return s.GroupSerializer(self.get_queryset().get(pk=group.pk), context=self.get_serializer_context()).data

    @extend_schema(request=s.AddMemberSerializer, responses={201: s.GroupSerializer, **problems(*_COMMON)})
    @action(detail=True, methods=["post"], url_path="members")
    def add_member(self, request: Request, pk: str | None = None) -> Response:
        """Add a member (the group's creator only)."""
        group = self.get_object()
        data = s.AddMemberSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        editing.add_member(self.user, group, username=data.validated_data["username"])
        return Response(self._fresh(group), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None, **problems(*_COMMON)},
                   parameters=[OpenApiParameter("user_id", int, OpenApiParameter.PATH)])
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<user_id>[^/]+)")
    def remove_member(self, request: Request, pk: str | None = None, user_id: str | None = None) -> Response:
        """Remove a member (the creator), or leave (a member removing themself)."""
        group = self.get_object()
        if user_id is None or not user_id.isdigit():
            raise NotYours("No such member.")
        editing.remove_member(self.user, group, int(user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None, **problems(*_COMMON)})
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, pk: str | None = None) -> Response:
        """Leave the group (members; the creator deletes it instead)."""
        editing.remove_member(self.user, self.get_object(), self.user.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


_TX_PREFETCH = (
    Prefetch("splits", queryset=TransactionSplit.objects.select_related("participant").order_by("id")),
    "mentions",
)


@extend_schema_view(
    list=extend_schema(responses={200: s.TransactionSerializer(many=True), **problems(400, 401, 403)}),
    retrieve=extend_schema(responses={200: s.TransactionSerializer, **problems(401, 403, 404)}),
    create=extend_schema(responses={201: s.TransactionSerializer, **problems(*_COMMON)}),
    update=extend_schema(responses={200: s.TransactionSerializer, **problems(*_COMMON)}),
    partial_update=extend_schema(responses={200: s.TransactionSerializer, **problems(*_COMMON)}),
    destroy=extend_schema(responses={204: None, **problems(401, 403, 404)}),
)
class TransactionViewSet(ExpenseAIView, viewsets.ModelViewSet):
    """Transactions the user owns or shares (a split or a group); only the owner changes them."""

    serializer_class = s.TransactionSerializer
    pagination_class = TransactionCursor
    filter_backends = [DjangoFilterBackend]
    filterset_class = TransactionFilter

    def get_queryset(self) -> QuerySet[Any]:
        # request.user, not self.user: the schema generator calls this anonymously (for_user: no rows).
        return Transaction.objects.for_user(self.request.user).select_related("account", "category").prefetch_related(
            *_TX_PREFETCH)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The same rows as get_queryset(), read as for_user_parts() so each part walks an index
        # in date order (see feed.py); the filters apply to every part.
        parts: list[QuerySet[Transaction]] = [
            part.select_related("account", "category") for part in Transaction.objects.for_user_parts(self.user)
        ]
        # No filter asked (the plain first page): no form to build and validate.
        if any(name in request.query_params for name in TransactionFilter.base_filters):
            filterset = TransactionFilter(request.query_params, queryset=parts[0], request=request)
            if not filterset.is_valid():
                raise serializers.ValidationError(filterset.errors)
            # Validated once (one lookup per chosen account or category), applied to every part.
            parts = [filterset.filter_queryset(part) for part in parts]
        # A Feed is enough of a QuerySet for the cursor pagination (see feed.py); the part
        # split with the user is read through a cursor: never a parallel plan.
        page = self.paginate_queryset(cast("QuerySet[Transaction]", Feed(parts, streamed={1})))
        assert page is not None  # TransactionCursor pages every list
        prefetch_related_objects(page, *_TX_PREFETCH)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _respond(self, tx: Transaction, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=tx.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tx = editing.save_transaction(self.user, **serializer.validated_data)
        return self._respond(tx, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        tx = editing.save_transaction(self.user, instance, **serializer.validated_data)
        return self._respond(tx)

    def perform_destroy(self, instance: Any) -> None:
        editing.delete_transaction(self.user, instance)

    @extend_schema(request=s.BulkClassifySerializer, responses={200: s.BulkClassifyResultSerializer,
                                                                **problems(*_COMMON)})
    @action(detail=False, methods=["post"])
    def classify(self, request: Request) -> Response:
        """Re-classify many of the user's own transactions at once (ledger.classify_many)."""
        data = s.BulkClassifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = editing.classify_transactions(self.user, data.validated_data["ids"],
                                              data.validated_data["expense_classification"])
        return Response({"updated": count})


# -- chat ------------------------------------------------------------------------------------


def _chat_result(view: ChatMessageViewSet, result: chat_services.ChatResult) -> Response:
    tx = None
    if result.transaction is not None:
        tx = TransactionViewSet(request=view.request, format_kwarg=None).get_queryset().filter(
            pk=result.transaction.pk).first()
    data = {
        "message": s.ChatMessageSerializer(result.message).data,
        "reply": s.ChatMessageSerializer(result.reply).data,
        "transaction": s.TransactionSerializer(tx, context={"request": view.request}).data if tx else None,
    }
    return Response(data, status=status.HTTP_201_CREATED if view.action == "create" else status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("conversation_id", str, description="Only this conversation.")],
        responses={200: s.ChatMessageSerializer(many=True), **problems(401, 403)},
    ),
    retrieve=extend_schema(responses={200: s.ChatMessageSerializer, **problems(401, 403, 404)}),
)
class ChatMessageViewSet(ExpenseAIView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The chat: history (newest first), submit, confirm or reject a suggestion, mention suggestions."""

    serializer_class = s.ChatMessageSerializer
    pagination_class = NewestFirstCursor

    def get_throttles(self) -> list[BaseThrottle]:
        self.throttle_scope = "expense_ai_chat" if self.action == "create" else None
        return super().get_throttles()

    def get_queryset(self) -> QuerySet[Any]:
        qs = ChatMessage.objects.for_user(self.user)
        conversation = self.request.query_params.get("conversation_id")
        if self.action == "list" and conversation:
            qs = qs.filter(conversation_id=conversation)
        return qs

    @extend_schema(request=s.ChatSubmitSerializer, responses={201: s.ChatResultSerializer,
                                                              **problems(400, 401, 403, 422, 429)})
    def create(self, request: Request) -> Response:
        """Submit a message (chat.services.submit_message)."""
        data = s.ChatSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = chat_services.submit_message(self.user, data.validated_data["text"],
                                              conversation_id=data.validated_data["conversation_id"])
        return _chat_result(self, result)

    @extend_schema(request=s.ChatConfirmSerializer, responses={200: s.ChatResultSerializer,
                                                               **problems(*_COMMON, 409)})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Confirm a suggestion, optionally corrected (chat.services.confirm_suggestion)."""
        message = self.get_object()
        data = s.ChatConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        edits = dict(data.validated_data)
        if "category" in edits and edits["category"] is not None:
            category = Category.objects.for_user(self.user).filter(pk=edits["category"]).first()
            if category is None:
                raise OwnershipError("No such category among yours.", field="category")
            edits["category"] = category
        return _chat_result(self, chat_services.confirm_suggestion(message, **edits))

    @extend_schema(request=None, responses={200: s.ChatResultSerializer, **problems(401, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject a suggestion (chat.services.reject_suggestion)."""
        return _chat_result(self, chat_services.reject_suggestion(self.get_object()))

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="What was typed: '@jo' people and groups, "
                                     "'#foo' categories and tags."),
                    OpenApiParameter("limit", int)],
        responses={200: s.MentionSuggestionSerializer(many=True), **problems(401, 403)},
        operation_id="chat_mentions_list",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def mentions(self, request: Request) -> Response:
        """What the user may mention next (chat.mentions.mention_suggestions)."""
        limit = min(_int_param(request, "limit", required=False) or 10, 50)
        return Response(mention_suggestions(self.user, request.query_params.get("q", ""), limit=limit))


# -- statements ------------------------------------------------------------------------------


@method_decorator(sensitive_post_parameters(*_SECRET_FIELDS), name="dispatch")
@extend_schema_view(
    list=extend_schema(responses={200: s.UploadedFileSerializer(many=True), **problems(401, 403)}),
    retrieve=extend_schema(responses={200: s.UploadedFileDetailSerializer, **problems(401, 403, 404)}),
)
class StatementViewSet(ExpenseAIView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Statement files: upload, status with stage logs, text vs parsed rows, download, reprocess."""

    serializer_class = s.UploadedFileSerializer
    pagination_class = NewestFirstCursor
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_throttles(self) -> list[BaseThrottle]:
        self.throttle_scope = "expense_ai_upload" if self.action in ("create", "reprocess") else None
        return super().get_throttles()

    def get_queryset(self) -> QuerySet[Any]:
        qs = UploadedFile.objects.for_user(self.user).defer("raw_text_extracted", "parsed_json").annotate(
            transaction_count=Count("transactions"))
        if self.action == "retrieve":
            qs = qs.prefetch_related("processing_logs")
        return qs

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return s.UploadedFileDetailSerializer if self.action == "retrieve" else s.UploadedFileSerializer

    def _result(self, uf: UploadedFile, *, created: bool) -> Response:
        if uf.status == FileStatus.FAILED:
            failing = uf.processing_logs.filter(status=LogStatus.FAILED).order_by("pk").first()
            error = failing.details.get("error") if failing is not None else None
            if isinstance(error, str) and error in _TOO_LARGE:
                # The file's row and logs stay for the audit; Location points at them.
                response = problem(413, uf.error_message, error)
                response["Location"] = s.UploadedFileSerializer(uf, context=self.get_serializer_context()).data[
                    "status_url"]
                return response
        if uf.status == FileStatus.QUEUED:
            fresh = UploadedFile.objects.annotate(transaction_count=Count("transactions")).get(pk=uf.pk)
            body = s.UploadedFileSerializer(fresh, context=self.get_serializer_context()).data
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})
        uf = _with_logs(uf)
        body = s.ImportResultSerializer(uf, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
                        headers={"Location": body["status_url"]})

    @extend_schema(
        request={"multipart/form-data": s.StatementUploadSerializer},
        responses={201: s.ImportResultSerializer,
                   202: OpenApiResponse(s.UploadedFileSerializer, description="Queued (enqueue mode); "
                                        "poll status_url."),
                   **problems(400, 401, 403, 413, 422, 429)},
    )
    @sensitive_variables()
    def create(self, request: Request) -> Response:
        """Upload a statement (statements.import_statement): 201 with the result, or 202 when queued."""
        data = s.StatementUploadSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        review = data.validated_data.get("review")
        uf = import_statement(self.user, upload, filename=upload.name,
                              account=data.validated_data.get("account"),
                              password=data.validated_data.get("password") or None,
                              review=review_services.review_wanted(self.user) if review is None else review)
        return self._result(uf, created=True)

    @extend_schema(methods=["GET"], responses={200: s.ReviewSerializer, **problems(401, 403, 404)})
    @extend_schema(methods=["PATCH"], request=s.ReviewUpdateSerializer,
                   responses={200: s.ReviewSerializer, **problems(*_COMMON, 409)})
    @action(detail=True, methods=["get", "patch"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """The review of a file awaiting it: rows with verdicts; PATCH changes choices, categories, mapping."""
        uf = self.get_object()
        if request.method == "GET":
            return Response(review_services.review_of(self.user, uf))
        data = s.ReviewUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(review_services.update_review(self.user, uf, **data.validated_data))

    @extend_schema(request=s.ReviewCommitSerializer,
                   responses={200: s.ImportResultSerializer, **problems(*_COMMON, 409)})
    @action(detail=True, methods=["post"], url_path="review/commit")
    def review_commit(self, request: Request, pk: str | None = None) -> Response:
        """Create the chosen rows' transactions; a second commit creates nothing."""
        uf = self.get_object()
        data = s.ReviewCommitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        uf = review_services.commit_review(self.user, uf, **data.validated_data)
        return self._result(uf, created=False)

    @extend_schema(request=s.ReprocessSerializer, responses={200: s.ImportResultSerializer,
                                                             202: s.UploadedFileSerializer,
                                                             **problems(*_COMMON, 409, 413, 429)})
    @action(detail=True, methods=["post"])
    @sensitive_variables()
    def reprocess(self, request: Request, pk: str | None = None) -> Response:
        """Run a failed or completed file through the pipeline again."""
        uf = self.get_object()
        data = s.ReprocessSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        uf = reprocess(uf, password=data.validated_data.get("password") or None)
        return self._result(uf, created=False)

    @extend_schema(responses={200: s.StatementTextSerializer, **problems(401, 403, 404)})
    @action(detail=True, methods=["get"])
    def text(self, request: Request, pk: str | None = None) -> Response:
        """The raw extracted text beside the parsed rows."""
        uf = get_object_or_404(UploadedFile.objects.for_user(self.user).only(
            "pk", "raw_text_extracted", "parsed_json"), pk=pk)  # DRF's: a malformed id is a 404 too
        return Response({"raw_text": uf.raw_text_extracted, "parsed": uf.parsed_json})

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **problems(401, 403, 404)})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """The stored file, as an attachment under the name the user gave it."""
        uf = self.get_object()
        if not uf.file:
            raise NotYours("The statement's bytes were not kept.")
        try:
            handle = uf.file.open("rb")
        except OSError as err:
            raise NotYours("The statement's stored file is missing.") from err
        response = FileResponse(handle, as_attachment=True, filename=uf.filename,
                                content_type="application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


#: Names of the limit errors (StatementTooLarge and its kinds) a failed file's log may carry.
_TOO_LARGE_KINDS: list[type[StatementTooLarge]] = [StatementTooLarge, *StatementTooLarge.__subclasses__()]
_TOO_LARGE = frozenset(cls.__name__ for cls in _TOO_LARGE_KINDS)


def _with_logs(uf: UploadedFile) -> UploadedFile:
    created = getattr(uf, "created_transactions", [])
    skipped = getattr(uf, "skipped_duplicates", [])
    found = getattr(uf, "rows_found", 0)
    fresh = UploadedFile.objects.prefetch_related("processing_logs").annotate(
        transaction_count=Count("transactions")).get(pk=uf.pk)
    ids = [tx.pk for tx in created]
    fresh.created_transactions = list(
        Transaction.objects.filter(pk__in=ids).select_related("account", "category").prefetch_related(
            "splits__participant", "mentions").order_by("date", "pk")
    )
    fresh.skipped_duplicates = jsonable(list(skipped))
    fresh.rows_found = found
    return fresh


@method_decorator(sensitive_post_parameters(*_SECRET_FIELDS), name="dispatch")
@extend_schema_view(
    list=extend_schema(responses={200: s.StatementPasswordSerializer(many=True), **problems(401, 403)}),
    retrieve=extend_schema(responses={200: s.StatementPasswordSerializer, **problems(401, 403, 404)}),
    create=extend_schema(responses={201: s.StatementPasswordSerializer, **problems(*_COMMON)}),
    update=extend_schema(responses={200: s.StatementPasswordSerializer, **problems(*_COMMON)}),
    partial_update=extend_schema(responses={200: s.StatementPasswordSerializer, **problems(*_COMMON)}),
    destroy=extend_schema(responses={204: None, **problems(401, 403, 404)}),
)
class StatementPasswordViewSet(ExpenseAIView, viewsets.ModelViewSet):
    """Saved statement passwords; the password is write-only."""

    serializer_class = s.StatementPasswordSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return StatementPassword.objects.for_user(self.user)

    # create/update written out (not DRF's mixins) so every frame holding the password is sensitive.
    @sensitive_variables()
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = password_services.save_statement_password(self.user, **serializer.validated_data)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)

    @sensitive_variables()
    def update(self, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        row = password_services.save_statement_password(self.user, instance, **serializer.validated_data)
        return Response(self.get_serializer(row).data)

    def perform_destroy(self, instance: Any) -> None:
        password_services.delete_statement_password(self.user, instance)


# -- merges -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("status", str, enum=MergeStatus.values)],
                       responses={200: s.MergeSerializer(many=True), **problems(401, 403)}),
    retrieve=extend_schema(responses={200: s.MergeDetailSerializer, **problems(401, 403, 404)}),
)
class MergeViewSet(ExpenseAIView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Suggested statement merges: review with the score explained, approve/reject/complete/undo/purge."""

    serializer_class = s.MergeSerializer
    pagination_class = NewestFirstCursor

    def get_queryset(self) -> QuerySet[Any]:
        qs = StatementMerge.objects.for_user(self.user).select_related("primary_file").prefetch_related(
            "duplicate_files")
        wanted = self.request.query_params.get("status")
        if self.action == "list" and wanted:
            qs = qs.filter(status=wanted)
        return qs

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return s.MergeSerializer if self.action == "list" else s.MergeDetailSerializer

    def _move(self, to_status: str, **kwargs: Any) -> Response:
        merge = merge_services.transition_merge(self.get_object(), to_status, user=self.user, **kwargs)
        return Response(s.MergeDetailSerializer(self.get_queryset().get(pk=merge.pk),
                                                context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: s.MergeDetailSerializer, **problems(401, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._move(MergeStatus.APPROVED)

    @extend_schema(request=None, responses={200: s.MergeDetailSerializer, **problems(401, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._move(MergeStatus.REJECTED)

    @extend_schema(request=s.MergeCompleteSerializer, responses={200: s.MergeDetailSerializer,
                                                                 **problems(*_COMMON, 409)})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Complete with a strategy (keep_primary, merge_all, manual with remove=[ids])."""
        merge = self.get_object()
        data = s.MergeCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        strategy = data.validated_data.get("strategy")
        if strategy:
            merge = merge_services.choose_merge_strategy(self.user, merge, strategy)
        merge = merge_services.transition_merge(merge, MergeStatus.COMPLETED, user=self.user,
                                                remove=data.validated_data.get("remove"))
        return Response(s.MergeDetailSerializer(self.get_queryset().get(pk=merge.pk),
                                                context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: s.MergeDetailSerializer, **problems(401, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: str | None = None) -> Response:
        merge = merge_services.undo_merge(self.get_object(), user=self.user)
        return Response(s.MergeDetailSerializer(self.get_queryset().get(pk=merge.pk),
                                                context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: s.PurgeResultSerializer, **problems(401, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def purge(self, request: Request, pk: str | None = None) -> Response:
        """Drop the stored copies of a completed merge (it cannot be undone afterwards)."""
        return Response({"purged": merge_services.purge_merge(self.get_object(), user=self.user)})


# -- settings ---------------------------------------------------------------------------------------


@method_decorator(sensitive_post_parameters(*_SECRET_FIELDS), name="dispatch")
class AISettingsView(ExpenseAIView, GenericAPIView):
    """The user's AI settings: keys write-only (``has_*_key`` booleans out), models, provider, opt-in."""

    serializer_class = s.AISettingsSerializer

    @extend_schema(responses={200: s.AISettingsSerializer, **problems(401, 403)})
    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(ai_settings_for(self.user)).data)

    @extend_schema(request=s.AISettingsSerializer, responses={200: s.AISettingsSerializer, **problems(*_COMMON)})
    @sensitive_variables()
    def patch(self, request: Request) -> Response:
        row = ai_settings_for(self.user)
        serializer = self.get_serializer(row, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        keys = {p: data.pop(f"{p}_api_key") for p in ("openai", "claude", "gemini") if f"{p}_api_key" in data}
        opt_in = data.pop("ai_opt_in", None)
        row = ai.update_ai_settings(self.user, keys=keys, **data)
        if opt_in is True:
            ai.opt_in(self.user)
        elif opt_in is False:
            ai.opt_out(self.user)
        row.refresh_from_db()
        return Response(self.get_serializer(row).data)


@method_decorator(sensitive_post_parameters(*_SECRET_FIELDS), name="dispatch")
class AIKeyTestView(ExpenseAIView, GenericAPIView):
    """Test the saved keys with one cheap request each (ai.test_api_keys)."""

    serializer_class = s.KeyTestRequestSerializer
    throttle_scope = "expense_ai_keys"

    @extend_schema(request=s.KeyTestRequestSerializer,
                   responses={200: inline_serializer("KeyTestResults", {
                       "results": serializers.DictField(child=s.KeyTestResultSerializer())}),
                       **problems(400, 401, 403, 429)})
    def post(self, request: Request) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        results = ai.test_api_keys(ai_settings_for(self.user), providers=data.validated_data.get("providers"))
        return Response({"results": results})


class PreferencesView(ExpenseAIView, GenericAPIView):
    """The user's preferences."""

    serializer_class = s.PreferencesSerializer

    @extend_schema(responses={200: s.PreferencesSerializer, **problems(401, 403)})
    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(preferences_for(self.user)).data)

    @extend_schema(request=s.PreferencesSerializer, responses={200: s.PreferencesSerializer, **problems(*_COMMON)})
    def patch(self, request: Request) -> Response:
        serializer = self.get_serializer(preferences_for(self.user), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(self.get_serializer(editing.update_preferences(self.user,
                                                                       **serializer.validated_data)).data)


# -- budgets and reports ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.BudgetSerializer(many=True), **problems(401, 403)}),
    retrieve=extend_schema(responses={200: s.BudgetSerializer, **problems(401, 403, 404)}),
    create=extend_schema(responses={201: s.BudgetSerializer, **problems(*_COMMON)}),
    update=extend_schema(responses={200: s.BudgetSerializer, **problems(*_COMMON)}),
    partial_update=extend_schema(responses={200: s.BudgetSerializer, **problems(*_COMMON)}),
    destroy=extend_schema(responses={204: None, **problems(401, 403, 404)}),
)
class BudgetViewSet(ExpenseAIView, viewsets.ModelViewSet):
    """Budgets: manual CRUD, the AI/heuristic suggestion, budget vs actual."""

    serializer_class = s.BudgetSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return Budget.objects.for_user(self.user)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = budget_services.save_budget(self.user, **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = budget_services.save_budget(self.user, serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance: Any) -> None:
        budget_services.delete_budget(self.user, instance)

    @extend_schema(responses={200: s.BudgetReportSerializer, **problems(401, 403, 404, 422)})
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        """Budget vs actual per category (budgets.services.budget_report)."""
        report = budget_services.budget_report(self.get_object())
        lines = [{**line.__dict__, "_currency": report.currency} for line in report.lines]
        data = s.BudgetReportSerializer(report).data
        data["lines"] = s.BudgetLineSerializer(lines, many=True).data
        data["other_currencies"] = {
            code: {str(k): money_str(v) for k, v in spent.items()} for code, spent in report.other_currencies.items()
        }
        return Response(data)

    @extend_schema(request=s.SuggestBudgetSerializer, responses={201: s.BudgetSerializer, **problems(*_COMMON)})
    @action(detail=False, methods=["post"])
    def suggest(self, request: Request) -> Response:
        """Create an ai_suggested budget: a plugin, the user's AI provider, else the heuristic."""
        data = s.SuggestBudgetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        budget = budget_services.suggest_budget(self.user, **data.validated_data)
        return Response(s.BudgetSerializer(budget).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(responses={200: s.BudgetTemplateSerializer(many=True), **problems(401, 403)}),
    retrieve=extend_schema(responses={200: s.BudgetTemplateSerializer, **problems(401, 403, 404)}),
    create=extend_schema(responses={201: s.BudgetTemplateSerializer, **problems(*_COMMON)}),
    destroy=extend_schema(responses={204: None, **problems(401, 403, 404)}),
)
class BudgetTemplateViewSet(ExpenseAIView, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Budget templates: the system ones (read-only) and the user's own."""

    serializer_class = s.BudgetTemplateSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return BudgetTemplate.objects.for_user(self.user).active()

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = budget_services.create_template(self.user, **serializer.validated_data)

    def perform_destroy(self, instance: Any) -> None:
        budget_services.delete_template(self.user, instance)

    @extend_schema(request=s.ApplyTemplateSerializer, responses={201: s.BudgetSerializer, **problems(*_COMMON)})
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        """Create a budget from the template with a monthly income (budgets.services.apply_template)."""
        template = self.get_object()  # a stranger's id is a 404 before any validation
        data = s.ApplyTemplateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        budget = budget_services.apply_template(template, self.user, **data.validated_data)
        return Response(s.BudgetSerializer(budget).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("income", str, required=True, description="Decimal string."),
                    OpenApiParameter("currency", str, required=True),
                    OpenApiParameter("period", str, enum=["year", "month"]),
                    OpenApiParameter("tags", str, description="Comma-separated tags.")],
        responses={200: s.TemplateSuggestionSerializer(many=True), **problems(400, 401, 403, 422)},
        operation_id="budget_templates_suggestions_list",
    )
    @action(detail=False, methods=["get"])
    def suggestions(self, request: Request) -> Response:
        """Templates ranked for an income and tags (budgets.services.template_suggestions)."""
        params = request.query_params
        tags = [t for t in params.get("tags", "").split(",") if t]
        ranked = budget_services.template_suggestions(
            params.get("income", ""), params.get("currency", ""), tags, user=self.user,
            period=params.get("period", "year"), limit=20)
        return Response(s.TemplateSuggestionSerializer(
            [{"template": r.template, "score": r.score, "reasons": list(r.reasons)} for r in ranked], many=True).data)


class MonthlyReportView(ExpenseAIView, GenericAPIView):
    """Monthly totals of the user (reports.monthly_totals)."""

    serializer_class = s.MonthTotalsSerializer

    @extend_schema(parameters=[OpenApiParameter("year", int, required=True), OpenApiParameter("month", int)],
                   responses={200: s.MonthTotalsSerializer(many=True), **problems(400, 401, 403)},
                   operation_id="reports_monthly_list")
    def get(self, request: Request) -> Response:
        year = _int_param(request, "year")
        month = _int_param(request, "month", required=False)
        if not 1 <= year <= 9999:
            raise serializers.ValidationError({"year": [f"Give a year from 1 to 9999, not {year}."]})
        months = reports.monthly_totals(self.user, year, month)
        return Response([{
            "year": m.year, "month": m.month, "count": m.count,
            "regular": _amounts(m.regular), "excluded": _amounts(m.excluded), "by_currency": _amounts(m.by_currency),
            "by_classification": {k: _amounts(v) for k, v in m.by_classification.items()},
            "by_category": [{"category_id": k, "name": m.category_names.get(k) if k is not None else None,
                             "amounts": _amounts(v)} for k, v in m.by_category.items()],
        } for m in months])


