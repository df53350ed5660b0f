"""Ticket ingestion: one reader per source format, one shared upsert.

Opening and reading files: `streams` (decompressing, decoding), `files` (CSV and XLSX tables,
cell values). Readers, one per format: `servicenow`, `vinst`, `jira`, `zendesk`, `mapped` (a
user's `mapping`), with `one_row` for the exports with a row per ticket; `sources` picks one and
checks its options; `records` is what they all yield. Guessing a foreign export's mapping:
`guess` (columns, values, open questions), `guess_times` (time formats), `guess_words` (header
and value synonyms in English, German, French and Italian); pure Python. Writing: `upsert` (the
run), `derive` (a record's row and facts), `tables` (its SQL), `writer` (the writer thread).
`services` writes the rules, saved mappings and a file's import run (`services_guided`: what the
import page's guided mapping reads and writes); `selectors` and `run_selectors` read them.
"""
