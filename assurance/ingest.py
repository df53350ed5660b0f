"""CSV/XLSX imports of findings and deliverables."""
