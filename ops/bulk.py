"""Writing many rows at once with PostgreSQL's COPY (the survey workbook's devices, the
treasury's payments): a fraction of ``bulk_create``'s time (docs/performance.md)."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def copy_rows(
    model: type[models.Model], rows: Iterable[Sequence[Any]], columns: Sequence[str]
) -> None:
    """Write ``rows`` (values in the order of ``columns``, the fields' attnames) into
    ``model``'s table with COPY, in the caller's transaction. The table's checks and
    constraints apply as to any insert; ids are not read back."""
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in columns]
    names = ", ".join(quote(str(field.column)) for field in fields)  # type: ignore[union-attr]
    # Names from the model's metadata, quoted; no user text reaches the statement.
    statement = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"  # nosec B608
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def copy_objects(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """``copy_rows`` of unsaved model objects: every concrete field but the primary key."""
    if not objects:
        return
    names = [field.attname for field in model._meta.concrete_fields if not field.primary_key]
    copy_rows(model, ([getattr(row, name) for name in names] for row in objects), names)
