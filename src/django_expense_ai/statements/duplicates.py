"""Built-in plugin: look for duplicate statements once a file is processed.

The app uses its own hook for this, as a host's plugin would: a completed
import is compared with the user's other statements
(:func:`.merges.detect_duplicate_statements`) and a merge is suggested when
they overlap. It runs before other ``statement_processed`` plugins, so they
see the suggestion, and it never fails the import it follows.
"""

from __future__ import annotations

import logging
from typing import Any

from .. import hookimpl

logger = logging.getLogger(__name__)


@hookimpl(tryfirst=True)
def statement_processed(uploaded_file: Any, created: Any, duplicates: Any) -> None:
    """Suggest merges for a completed file (failures are logged, never raised)."""
    # Imported here: the plugin manager loads this module for read_statement
    # too, which needs no app registry; a processed file means models are ready.
    from ..models.choices import FileStatus
    from .merges import detect_duplicate_statements

    if uploaded_file.status != FileStatus.COMPLETED:
        return

    try:
        detect_duplicate_statements(uploaded_file)
    except Exception:  # a duplicate-statement check must never fail the import it follows
        logger.exception("Duplicate statement detection failed for file #%s", uploaded_file.pk)
