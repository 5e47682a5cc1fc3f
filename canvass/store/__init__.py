"""Storage: SQLModel tables, Alembic migrations, and the adapters between rows and model values."""
