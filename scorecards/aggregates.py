"""SQL aggregates the ORM lacks: percentiles, on PostgreSQL and on the embedded SQLite."""

from __future__ import annotations

import math

from django.db.backends.signals import connection_created
from django.db.models import Aggregate, FloatField


class Percentile(Aggregate):
    """Continuous percentile (linear interpolation), as PostgreSQL's percentile_cont."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within 0..1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="vs_percentile",
            template="%(function)s(%(expressions)s, %(fraction)s)",
            **extra_context,
        )


class _SqlitePercentile:
    """SQLite aggregate with percentile_cont's result (NULLs ignored, None if no rows)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        self.values.sort()
        position = (len(self.values) - 1) * self.fraction
        low, high = math.floor(position), math.ceil(position)
        return self.values[low] + (self.values[high] - self.values[low]) * (position - low)


def _register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("vs_percentile", 2, _SqlitePercentile)


connection_created.connect(_register_sqlite_functions, dispatch_uid="vs_sqlite_percentile")
