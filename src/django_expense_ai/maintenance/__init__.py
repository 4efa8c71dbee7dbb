"""Maintenance services the management commands run.

* :mod:`.archive` — move old chat messages and processing logs to gzip JSON
  Lines files, and restore them (``expense_ai_archive``);
* :mod:`.rotation` — re-encrypt every stored secret with the newest key
  (``expense_ai_rotate_keys``).
"""
