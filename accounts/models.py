"""Models of accounts and sign-in (allauth and axes keep their own)."""
