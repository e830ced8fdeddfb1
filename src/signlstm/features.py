"""Preprocessing layers that live inside models (filled in by the default recipe)."""
