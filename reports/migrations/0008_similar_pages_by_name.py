import importlib

from django.db import migrations

# 0006's SQL: its rule for "shown as a possible duplicate", and its trigger function to go
# back to.
_0006 = importlib.import_module("reports.migrations.0006_perfw_page_scopes")
SHOWN = _0006._shown
_rows = _0006._rows


# The pages that name a project among their possible duplicates
# (projects.duplicates.similar_projects): those of the same year's projects whose name is
# trigram-similar to its name (similarity >= 0.3, pg_trgm's default threshold, fixed here
# so that a session's own setting cannot narrow what is touched). A superset of the pages
# that show it (other units', any state): touching one page too many costs a redraw.
# Beyond 50 changed names at once (seeding, a batch decision), one search a name would
# slow the write: those touch the "similar" scope that every project page depends on.
SIMILAR_PAGES = """
CREATE OR REPLACE FUNCTION reports_similar_pages(names text[], years integer[])
RETURNS text[] LANGUAGE sql STABLE SET pg_trgm.similarity_threshold = 0.3 AS $similar$
    SELECT CASE WHEN cardinality(names) > 50 THEN ARRAY['similar']
    ELSE ARRAY(
        SELECT DISTINCT 'project:' || p.code
        FROM unnest(names, years) AS changed(name, year)
        JOIN projects_project p
          ON p.name % changed.name AND p.budget_year IS NOT DISTINCT FROM changed.year
        WHERE similarity(p.name, changed.name) >= 0.3
    ) END
$similar$;
"""


# The names (and years) whose pages a write must touch, into ``names`` and ``years``.
INTO = (
    "SELECT coalesce(array_agg(c.name), '{}'::text[]),"
    " coalesce(array_agg(c.year), '{}'::integer[]) INTO names, years FROM (%s) c;"
)
# Constant SQL of this migration, no input.
SELECT_SHOWN = "SELECT name, budget_year AS year FROM {rows} WHERE "  # nosec B608
INSERTED = INTO % (SELECT_SHOWN.format(rows="new_rows n") + SHOWN("n"))
DELETED = INTO % (SELECT_SHOWN.format(rows="old_rows o") + SHOWN("o"))
# Other projects' pages list it by code, name and unit while it is shown.
UPDATED = INTO % (
    "SELECT v.name, v.year FROM new_rows n JOIN old_rows o ON o.id = n.id,"  # nosec B608
    " LATERAL (VALUES (o.name, o.budget_year), (n.name, n.budget_year)) v(name, year)"
    " WHERE "
    + SHOWN("o")
    + " IS DISTINCT FROM "
    + SHOWN("n")
    + " OR ("
    + SHOWN("n")
    + " AND (o.code, o.name, o.organization_id, o.budget_year,"
    " o.reached_roles) IS DISTINCT FROM (n.code, n.name, n.organization_id, n.budget_year,"
    " n.reached_roles)) GROUP BY v.name, v.year"
)


# As 0006's, but the pages of similar names instead of every project page ("similar").
PROJECTS = f"""
CREATE OR REPLACE FUNCTION reports_touch_project_pages() RETURNS trigger
LANGUAGE plpgsql AS $trigger$
DECLARE
    names text[];
    years integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        {INSERTED}
        PERFORM ops_touch_pages({_rows("new_rows")} || reports_similar_pages(names, years));
    ELSIF TG_OP = 'DELETE' THEN
        {DELETED}
        PERFORM ops_touch_pages({_rows("old_rows")} || reports_similar_pages(names, years));
    ELSE
        {UPDATED}
        PERFORM ops_touch_pages({_rows("new_rows")} || {_rows("old_rows")}
            || reports_similar_pages(names, years));
    END IF;
    RETURN NULL;
END
$trigger$;
"""


class Migration(migrations.Migration):
    """A project shown as a possible duplicate touches the pages of projects with similar
    names (issue #21), not every project page: a pass or a rename no longer redraws them all."""

    dependencies = [("reports", "0007_roll_up_cells")]

    operations = [
        migrations.RunSQL(
            SIMILAR_PAGES + PROJECTS,
            _0006.PROJECTS + "DROP FUNCTION IF EXISTS reports_similar_pages(text[], integer[]);",
        )
    ]
