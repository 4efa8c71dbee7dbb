"""All models of the app (label ``expense_ai``)."""

from .budgets import Budget, BudgetTemplate
from .chat import ChatMessage, TransactionMention
from .choices import (
    BudgetPeriod,
    BudgetType,
    ChatParserChoice,
    ExpenseClassification,
    FileStatus,
    LogStatus,
    MentionType,
    MergeStatus,
    MergeStrategy,
    MessageStatus,
    MessageType,
    ParserProvider,
    ParserType,
    ProcessingStage,
    QuickAddMode,
    SplitMethod,
    TransactionSource,
)
from .host import (
    AbstractAISettings,
    AbstractCurrencyInfo,
    AbstractUserPreferences,
    AISettings,
    CurrencyInfo,
    UserPreferences,
)
from .ledger import Account, Category, Group, GroupMember, Transaction, TransactionSplit
from .statements import StatementMerge, StatementPassword, StatementProcessingLog, UploadedFile

__all__ = [
    "AISettings", "AbstractAISettings", "AbstractCurrencyInfo", "AbstractUserPreferences", "Account",
    "Budget", "BudgetPeriod", "BudgetTemplate", "BudgetType", "Category", "ChatMessage", "ChatParserChoice",
    "CurrencyInfo", "ExpenseClassification", "FileStatus", "Group", "GroupMember", "LogStatus",
    "MentionType", "MergeStatus", "MergeStrategy", "MessageStatus", "MessageType", "ParserProvider",
    "ParserType", "ProcessingStage", "QuickAddMode", "SplitMethod", "StatementMerge", "StatementPassword",
    "StatementProcessingLog", "Transaction", "TransactionMention", "TransactionSource", "TransactionSplit",
    "UploadedFile", "UserPreferences",
]
