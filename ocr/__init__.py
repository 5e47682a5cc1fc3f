"""OCR: read a worksheet photo into counts with trustworthy confidence (issue 5)."""
