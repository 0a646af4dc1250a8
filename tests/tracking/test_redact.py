"""No password survives redact, in any of the forms a URL or a config can carry it."""

from __future__ import annotations

import pytest

from nacarbon.tracking.redact import redact


@pytest.mark.parametrize("text, kept", [
    ("postgresql://u:s3cret@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql+psycopg2://:s3cret@h/db", "postgresql+psycopg2://:***@h/db"),
    ("postgresql://u:s3c%40ret@h/db", "postgresql://u:***@h/db"),
    ("postgresql://h/db?user=u&password=s3cret&sslmode=require", "postgresql://h/db?user=u&password=***&sslmode=require"),
    ("postgresql%3A%2F%2Fu%3As3cret%40h%2Fdb", "postgresql%3A%2F%2Fu%3A***%40h%2Fdb"),
    ("  password: s3cret", "  password: ***"),
    ("PGPASSWORD=s3cret psql", "PGPASSWORD=*** psql"),
    ("['search.storage=postgresql://u:s3cret@127.0.0.1/db', 'model=ridge']",
     "['search.storage=postgresql://u:***@127.0.0.1/db', 'model=ridge']"),
])
def test_password_is_masked(text, kept):
    assert redact(text) == kept


@pytest.mark.parametrize("text", ["sqlite:////tmp/mlruns/optuna.db", "http://127.0.0.1:5000",
                                  "passwords are explained in the README", "user@example.org"])
def test_text_without_password_is_unchanged(text):
    assert redact(text) == text
