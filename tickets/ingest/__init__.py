"""Ticket ingestion: one reader per source format, one shared upsert."""
