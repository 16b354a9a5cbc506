"""Helpers of every app: one-line input errors and output folders (``checks``), statistics
(``stats``), code versions (``provenance``), threads (``parallel``), plot helpers (``plots``)."""
