"""Chat quick entry."""
