from django.db import migrations


class Migration(migrations.Migration):
    """The rendered pages themselves (ops.page_cache, issue #21), in PostgreSQL so every
    gunicorn worker and every app server shares them: the table Django's DatabaseCache
    reads and writes (``createcachetable``'s columns). Unlogged: a cache needs no WAL, no
    crash recovery and no replica copy (after a crash it is empty, as after a restart)."""

    dependencies = [("ops", "0002_page_scopes")]

    operations = [
        migrations.RunSQL(
            """
            CREATE UNLOGGED TABLE IF NOT EXISTS ops_pagecache (
                cache_key varchar(255) PRIMARY KEY,
                value text NOT NULL,
                expires timestamptz NOT NULL
            );
            CREATE INDEX IF NOT EXISTS ops_pagecache_expires ON ops_pagecache (expires);
            """,
            "DROP TABLE IF EXISTS ops_pagecache;",
        )
    ]
