from django.db import migrations


class Migration(migrations.Migration):
    """Page-cache generations by scope (ops.page_cache, issue #21): one row per scope a
    write touched, moved by ``ops_touch_pages`` in the writer's transaction. The "C"
    collation lets ``LIKE 'cycle:%'`` (a page over every cycle) use the primary key."""

    dependencies = [("ops", "0001_page_generation")]

    operations = [
        migrations.RunSQL(
            """
            CREATE SEQUENCE IF NOT EXISTS ops_page_scope_generation;
            CREATE TABLE IF NOT EXISTS ops_pagescope (
                scope text COLLATE "C" PRIMARY KEY,
                generation bigint NOT NULL
            );
            -- In the scopes' order: writers touching the same scopes lock them in one order.
            CREATE OR REPLACE FUNCTION ops_touch_pages(scopes text[]) RETURNS void
            LANGUAGE sql AS $touch$
                INSERT INTO ops_pagescope (scope, generation)
                SELECT scope, nextval('ops_page_scope_generation')
                FROM (SELECT DISTINCT unnest(scopes) AS scope) touched
                WHERE scope IS NOT NULL
                ORDER BY scope
                ON CONFLICT (scope) DO UPDATE SET generation = EXCLUDED.generation
            $touch$;
            """,
            """
            DROP FUNCTION IF EXISTS ops_touch_pages(text[]);
            DROP TABLE IF EXISTS ops_pagescope;
            DROP SEQUENCE IF EXISTS ops_page_scope_generation;
            """,
        )
    ]
