"""Alembic environment: runs on the engine handed in by ioc.store.engine.migrate."""

from alembic import context

from ioc.store.partitions import include_name
from ioc.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_name,
    )
    context.run_migrations()
