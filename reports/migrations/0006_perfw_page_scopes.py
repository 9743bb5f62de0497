from django.db import migrations

# A project's pages and the pages over it: its own (and its successors', which show
# its amounts), its unit's and the unit's primary unit's lists, its cycle's.
ROW_SCOPES = """
CREATE OR REPLACE FUNCTION reports_page_scopes(
    codes text[], units bigint[], years integer[], ids bigint[]
) RETURNS text[] LANGUAGE sql STABLE AS $scopes$
    SELECT ARRAY(
        SELECT 'project:' || code FROM unnest(codes) code
        UNION SELECT 'unit:' || unit FROM unnest(units) unit
        UNION SELECT 'unit:' || o.parent_id FROM accounts_organization o
            WHERE o.id = ANY(units) AND o.parent_id IS NOT NULL
        UNION SELECT 'cycle:' || coalesce(year::text, 'none') FROM unnest(years) year
        UNION SELECT 'project:' || s.code FROM projects_project s WHERE s.predecessor_id = ANY(ids)
    )
$scopes$;

CREATE OR REPLACE FUNCTION reports_project_page_scopes(ids bigint[]) RETURNS text[]
LANGUAGE sql STABLE AS $scopes$
    SELECT reports_page_scopes(
        ARRAY(SELECT code FROM projects_project WHERE id = ANY(ids)),
        ARRAY(SELECT organization_id FROM projects_project WHERE id = ANY(ids)),
        ARRAY(SELECT budget_year FROM projects_project WHERE id = ANY(ids)),
        ids
    )
$scopes$;
"""

# Shown among another project's "possible duplicate construction" (projects.duplicates):
# once it left its department, unless rejected or withdrawn.
def _shown(row: str) -> str:
    return (
        f"({row}.reached_roles && ARRAY['data_reviewer', 'finance_reviewer',"
        f" 'finance_approver']::varchar[] AND {row}.state NOT IN ('rejected', 'withdrawn'))"
    )


SIMILAR_NOW = f"coalesce((SELECT bool_or({_shown('r')}) FROM new_rows r), false)"  # nosec B608
SIMILAR_BEFORE = f"coalesce((SELECT bool_or({_shown('r')}) FROM old_rows r), false)"  # nosec B608


def _rows(table: str) -> str:
    return (
        f"reports_page_scopes(ARRAY(SELECT code FROM {table}),"  # nosec B608
        f" ARRAY(SELECT organization_id FROM {table}), ARRAY(SELECT budget_year FROM {table}),"
        f" ARRAY(SELECT id FROM {table}))"
    )


PROJECTS = f"""
CREATE OR REPLACE FUNCTION reports_touch_project_pages() RETURNS trigger
LANGUAGE plpgsql AS $trigger$
DECLARE
    shown_as_similar text[] := ARRAY[]::text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF {SIMILAR_NOW} THEN shown_as_similar := ARRAY['similar']; END IF;
        PERFORM ops_touch_pages({_rows("new_rows")} || shown_as_similar);
    ELSIF TG_OP = 'DELETE' THEN
        IF {SIMILAR_BEFORE} THEN shown_as_similar := ARRAY['similar']; END IF;
        PERFORM ops_touch_pages({_rows("old_rows")} || shown_as_similar);
    ELSE
        -- Other projects' pages list it by code, name and unit while it is shown.
        IF EXISTS (
            SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE {_shown("o")} IS DISTINCT FROM {_shown("n")}
               OR ({_shown("n")}
                   AND (o.code, o.name, o.organization_id, o.budget_year, o.reached_roles)
                       IS DISTINCT FROM
                       (n.code, n.name, n.organization_id, n.budget_year, n.reached_roles))
        ) THEN
            shown_as_similar := ARRAY['similar'];
        END IF;
        PERFORM ops_touch_pages({_rows("new_rows")} || {_rows("old_rows")} || shown_as_similar);
    END IF;
    RETURN NULL;
END
$trigger$;
"""  # nosec B608  # constant SQL of this migration, no input

# Rows of one project (a project_id column) or of one of its lines (line_id).
BY_PROJECT = """
CREATE OR REPLACE FUNCTION reports_touch_pages_by_project() RETURNS trigger
LANGUAGE plpgsql AS $trigger$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ops_touch_pages(reports_project_page_scopes(ARRAY(SELECT project_id FROM new_rows)));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM ops_touch_pages(reports_project_page_scopes(ARRAY(SELECT project_id FROM old_rows)));
    ELSE
        PERFORM ops_touch_pages(reports_project_page_scopes(ARRAY(
            SELECT project_id FROM new_rows UNION SELECT project_id FROM old_rows)));
    END IF;
    RETURN NULL;
END
$trigger$;

CREATE OR REPLACE FUNCTION reports_touch_pages_by_line() RETURNS trigger
LANGUAGE plpgsql AS $trigger$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ops_touch_pages(reports_project_page_scopes(ARRAY(
            SELECT project_id FROM projects_estimateline
            WHERE id IN (SELECT line_id FROM new_rows))));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM ops_touch_pages(reports_project_page_scopes(ARRAY(
            SELECT project_id FROM projects_estimateline
            WHERE id IN (SELECT line_id FROM old_rows))));
    ELSE
        PERFORM ops_touch_pages(reports_project_page_scopes(ARRAY(
            SELECT project_id FROM projects_estimateline
            WHERE id IN (SELECT line_id FROM new_rows UNION SELECT line_id FROM old_rows))));
    END IF;
    RETURN NULL;
END
$trigger$;

-- A project's history is shown on its page alone.
CREATE OR REPLACE FUNCTION reports_touch_pages_by_event() RETURNS trigger
LANGUAGE plpgsql AS $trigger$
BEGIN
    PERFORM ops_touch_pages(ARRAY(
        SELECT DISTINCT 'project:' || target_key FROM new_rows
        WHERE target_type = 'projects.project'));
    RETURN NULL;
END
$trigger$;
"""

ALL = ("INSERT", "UPDATE", "DELETE")
# Kept in step with reports.page_scopes.SCOPED_TABLES.
WATCHED = (
    ("projects_project", "reports_touch_project_pages", ALL),
    ("projects_estimateline", "reports_touch_pages_by_project", ALL),
    ("projects_yearplan", "reports_touch_pages_by_project", ALL),
    ("projects_performancetarget", "reports_touch_pages_by_project", ALL),
    ("projects_attachment", "reports_touch_pages_by_project", ALL),
    ("projects_pendingimport", "reports_touch_pages_by_project", ALL),
    ("projects_linebasis", "reports_touch_pages_by_line", ALL),
    ("budgeting_review", "reports_touch_pages_by_project", ALL),
    ("budgeting_roundresult", "reports_touch_pages_by_project", ALL),
    ("budgeting_excessallowance", "reports_touch_pages_by_project", ALL),
    ("budgeting_linedecision", "reports_touch_pages_by_line", ALL),
    ("audit_event", "reports_touch_pages_by_event", ("INSERT",)),
)
TRANSITIONS = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
TRIGGERS = "\n".join(
    f"CREATE TRIGGER reports_pages_{event.lower()} AFTER {event} ON {table}"
    f" REFERENCING {TRANSITIONS[event]} FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
    for table, function, events in WATCHED
    for event in events
)
UNDO = "\n".join(
    f"DROP TRIGGER IF EXISTS reports_pages_{event.lower()} ON {table};"
    for table, _function, events in WATCHED
    for event in events
) + (
    "DROP FUNCTION IF EXISTS reports_touch_project_pages(), reports_touch_pages_by_project(),"
    " reports_touch_pages_by_line(), reports_touch_pages_by_event(),"
    " reports_project_page_scopes(bigint[]),"
    " reports_page_scopes(text[], bigint[], integer[], bigint[]);"
)


class Migration(migrations.Migration):
    """The page cache's scopes (ops.page_cache, issue #21): writes to a project's rows
    touch the scopes of the pages that show them, in the write's transaction."""

    dependencies = [
        ("ops", "0002_page_scopes"),
        ("reports", "0005_kept_totals_by_trigger"),
        ("audit", "0002_append_only_trigger"),
    ]

    operations = [migrations.RunSQL(ROW_SCOPES + PROJECTS + BY_PROJECT + TRIGGERS, UNDO)]
