import importlib

from django.db import migrations

# The summary's default view and round columns from kept totals (issue #21): 0009's fold,
# with each project's round figures among its shares (the figures recorded when it left
# a submission round, ``budgeting_roundresult``, and live those of the round it is in),
# and every change summed into the coarse ``reports_unitcell`` too. Triggers on the
# reviews (a project's round) and the round results fold their projects.
_0007 = importlib.import_module("reports.migrations.0007_roll_up_cells")
_0009 = importlib.import_module("reports.migrations.0009_summary_cell_jurisdiction")
KEYS = _0007.KEYS
FIGURES = _0007.FIGURES
PROJECT_KEYS = _0007.PROJECT_KEYS
LINE_AFTER = _0007.LINE_AFTER
ADD_TO_ROLL_UP = _0007.ADD_TO_ROLL_UP
SHARE_KEYS = f"{KEYS}, round_id, recorded_state"
UNIT_KEYS = (
    "budget_year, organization_id, reached_roles, state, fee_class, round_id, recorded_state"
)
# Adds a change (rows of UNIT_KEYS, jurisdiction_id and FIGURES) to the unit cells.
ADD_TO_UNITS = f"""
    INSERT INTO reports_unitcell ({UNIT_KEYS}, jurisdiction_id, {FIGURES})
    SELECT {UNIT_KEYS}, jurisdiction_id, sum(projects), sum(with_lines), sum(requested),
        sum(approved), sum(requested_of_decided), sum(reviewed)
    FROM unit_change
    GROUP BY {UNIT_KEYS}, jurisdiction_id
    HAVING sum(projects) <> 0 OR sum(with_lines) <> 0 OR sum(requested) <> 0
        OR sum(approved) <> 0 OR sum(requested_of_decided) <> 0 OR sum(reviewed) <> 0
    ORDER BY {UNIT_KEYS}
    ON CONFLICT ON CONSTRAINT unit_cell_keys DO UPDATE SET
        projects = reports_unitcell.projects + EXCLUDED.projects,
        with_lines = reports_unitcell.with_lines + EXCLUDED.with_lines,
        requested = reports_unitcell.requested + EXCLUDED.requested,
        approved = reports_unitcell.approved + EXCLUDED.approved,
        requested_of_decided =
            reports_unitcell.requested_of_decided + EXCLUDED.requested_of_decided,
        reviewed = reports_unitcell.reviewed + EXCLUDED.reviewed
"""  # nosec B608  # constant SQL of this migration, no input

FOLD = f"""
CREATE OR REPLACE FUNCTION reports_summary_fold(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $fold$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- The units' jurisdictions are read below: a unit being moved to another one
    -- (reports_move_units) waits for this write, or this write for the move.
    PERFORM 1 FROM accounts_organization
    WHERE id IN (SELECT organization_id FROM projects_project WHERE id = ANY(ids)
                 UNION SELECT organization_id FROM reports_summaryshare
                 WHERE project_id = ANY(ids))
    ORDER BY id FOR SHARE;
    WITH old AS (
        DELETE FROM reports_summaryshare WHERE project_id = ANY(ids)
        RETURNING {SHARE_KEYS}, {FIGURES}
    ), lines AS (
        SELECT l.project_id, l.fee_class, l.amount, {LINE_AFTER} AS after
        FROM projects_estimateline l WHERE l.project_id = ANY(ids)
    ), fresh AS (
        SELECT p.id, {PROJECT_KEYS}, ''::varchar, 1,
            (EXISTS (SELECT 1 FROM projects_estimateline l WHERE l.project_id = p.id))::int,
            p.requested_amount, coalesce(p.approved_amount, 0),
            CASE WHEN p.approved_amount IS NULL THEN 0 ELSE p.requested_amount END,
            0::numeric, NULL::bigint, ''::varchar
        FROM projects_project p
        WHERE p.id = ANY(ids) AND p.budget_year IS NOT NULL
        UNION ALL
        SELECT p.id, {PROJECT_KEYS}, l.fee_class, 1, 0, sum(l.amount),
            CASE WHEN p.approved_amount IS NULL THEN 0 ELSE sum(l.after) END,
            CASE WHEN p.approved_amount IS NULL THEN 0 ELSE sum(l.amount) END,
            sum(l.after), NULL::bigint, ''::varchar
        FROM projects_project p JOIN lines l ON l.project_id = p.id
        WHERE p.id = ANY(ids) AND p.budget_year IS NOT NULL
        GROUP BY p.id, l.fee_class
        UNION ALL
        -- The figures recorded when the project left a round (reports.rounds).
        SELECT p.id, {PROJECT_KEYS}, '', 1, 0, r.requested_amount, 0, 0,
            coalesce(r.reviewed_amount, 0), r.round_id, r.state
        FROM projects_project p JOIN budgeting_roundresult r ON r.project_id = p.id
        WHERE p.id = ANY(ids) AND p.budget_year IS NOT NULL
        UNION ALL
        -- Live, the round it is in: its request and its lines after the reviews so far.
        SELECT p.id, {PROJECT_KEYS}, '', 1, 0, p.requested_amount, 0, 0,
            coalesce(t.after, 0), v.round_id, ''
        FROM projects_project p JOIN budgeting_review v ON v.project_id = p.id
        LEFT JOIN (SELECT project_id, sum(after) AS after FROM lines GROUP BY project_id) t
            ON t.project_id = p.id
        WHERE p.id = ANY(ids) AND p.budget_year IS NOT NULL AND v.round_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM budgeting_roundresult r
                            WHERE r.project_id = p.id AND r.round_id = v.round_id)
    ), added AS (
        INSERT INTO reports_summaryshare (project_id, {KEYS}, {FIGURES}, round_id, recorded_state)
        SELECT * FROM fresh
        RETURNING {SHARE_KEYS}, {FIGURES}
    ), delta AS (
        SELECT {SHARE_KEYS}, sum(projects) AS projects, sum(with_lines) AS with_lines,
            sum(requested) AS requested, sum(approved) AS approved,
            sum(requested_of_decided) AS requested_of_decided, sum(reviewed) AS reviewed
        FROM (
            SELECT {SHARE_KEYS}, -projects AS projects, -with_lines AS with_lines,
                -requested AS requested, -approved AS approved,
                -requested_of_decided AS requested_of_decided, -reviewed AS reviewed
            FROM old
            UNION ALL
            SELECT * FROM added
        ) change
        GROUP BY {SHARE_KEYS}
        HAVING sum(projects) <> 0 OR sum(with_lines) <> 0 OR sum(requested) <> 0
            OR sum(approved) <> 0 OR sum(requested_of_decided) <> 0 OR sum(reviewed) <> 0
    ), placed AS (
        -- Each change with its unit's jurisdiction (locked above).
        SELECT d.*, o.jurisdiction_id
        FROM delta d JOIN accounts_organization o ON o.id = d.organization_id
    ), cells AS (
        -- In the keys' order, so writers adding to the same cells lock them in one order.
        -- A cell's jurisdiction is its unit's: an existing cell has it already (a move
        -- updates it), so only a new cell takes it. The rounds' rows are the unit
        -- cells' alone.
        INSERT INTO reports_summarycell ({KEYS}, {FIGURES}, jurisdiction_id)
        SELECT {KEYS}, {FIGURES}, jurisdiction_id FROM placed WHERE round_id IS NULL
        ORDER BY {KEYS}
        ON CONFLICT ON CONSTRAINT summary_cell_keys DO UPDATE SET
            projects = reports_summarycell.projects + EXCLUDED.projects,
            with_lines = reports_summarycell.with_lines + EXCLUDED.with_lines,
            requested = reports_summarycell.requested + EXCLUDED.requested,
            approved = reports_summarycell.approved + EXCLUDED.approved,
            requested_of_decided =
                reports_summarycell.requested_of_decided + EXCLUDED.requested_of_decided,
            reviewed = reports_summarycell.reviewed + EXCLUDED.reviewed
    ), unit_change AS (
        SELECT * FROM placed
    ), units AS (
        {ADD_TO_UNITS}
    ), roll_up_change AS (
        -- The lines' rows (a project row has no fee class) by the unit's jurisdiction.
        SELECT budget_year, jurisdiction_id, kind, state, fee_class,
            projects, requested, reviewed
        FROM placed
        WHERE fee_class <> '' AND round_id IS NULL
    )
    {ADD_TO_ROLL_UP};
    DELETE FROM reports_summarycell WHERE projects = 0;
    DELETE FROM reports_unitcell WHERE projects = 0;
    DELETE FROM reports_rollupcell WHERE projects = 0;
END
$fold$;

CREATE OR REPLACE FUNCTION reports_summary_recount(only_year integer) RETURNS void
LANGUAGE plpgsql AS $recount$
BEGIN
    DELETE FROM reports_summaryshare WHERE only_year IS NULL OR budget_year = only_year;
    DELETE FROM reports_summarycell WHERE only_year IS NULL OR budget_year = only_year;
    DELETE FROM reports_unitcell WHERE only_year IS NULL OR budget_year = only_year;
    DELETE FROM reports_rollupcell WHERE only_year IS NULL OR budget_year = only_year;
    PERFORM reports_summary_fold(ARRAY(
        SELECT id FROM projects_project
        WHERE budget_year IS NOT NULL AND (only_year IS NULL OR budget_year = only_year)
    ));
END
$recount$;

-- A unit moved to another jurisdiction takes its cells along: the roll-up's figures, and
-- the summary cells' and unit cells' own jurisdiction.
CREATE OR REPLACE FUNCTION reports_move_units() RETURNS trigger
LANGUAGE plpgsql AS $trigger$
BEGIN
    WITH moved AS (
        SELECT n.id, o.jurisdiction_id AS was, n.jurisdiction_id AS now
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE o.jurisdiction_id <> n.jurisdiction_id
    ), roll_up_change AS (
        SELECT c.budget_year, m.was AS jurisdiction_id, c.kind, c.state, c.fee_class,
            -c.projects AS projects, -c.requested AS requested, -c.reviewed AS reviewed
        FROM reports_summarycell c JOIN moved m ON m.id = c.organization_id
        WHERE c.fee_class <> ''
        UNION ALL
        SELECT c.budget_year, m.now, c.kind, c.state, c.fee_class,
            c.projects, c.requested, c.reviewed
        FROM reports_summarycell c JOIN moved m ON m.id = c.organization_id
        WHERE c.fee_class <> ''
    )
    {ADD_TO_ROLL_UP};
    DELETE FROM reports_rollupcell WHERE projects = 0;
    UPDATE reports_summarycell c SET jurisdiction_id = n.jurisdiction_id
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE c.organization_id = n.id AND o.jurisdiction_id <> n.jurisdiction_id;
    UPDATE reports_unitcell c SET jurisdiction_id = n.jurisdiction_id
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE c.organization_id = n.id AND o.jurisdiction_id <> n.jurisdiction_id;
    RETURN NULL;
END
$trigger$;

-- A project's review moved to another round (or created, or gone).
CREATE OR REPLACE FUNCTION reports_fold_reviews() RETURNS trigger
LANGUAGE plpgsql AS $trigger$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM reports_summary_fold(ARRAY(SELECT project_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM reports_summary_fold(ARRAY(SELECT project_id FROM old_rows));
    ELSE
        PERFORM reports_summary_fold(ARRAY(
            SELECT n.project_id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE (o.round_id, o.project_id) IS DISTINCT FROM (n.round_id, n.project_id)
            UNION SELECT o.project_id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE o.project_id <> n.project_id
        ));
    END IF;
    RETURN NULL;
END
$trigger$;

-- The figures recorded when a project left a round.
CREATE OR REPLACE FUNCTION reports_fold_round_results() RETURNS trigger
LANGUAGE plpgsql AS $trigger$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM reports_summary_fold(ARRAY(SELECT DISTINCT project_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM reports_summary_fold(ARRAY(SELECT DISTINCT project_id FROM old_rows));
    ELSE
        PERFORM reports_summary_fold(ARRAY(
            SELECT n.project_id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE (o.project_id, o.round_id, o.state, o.requested_amount, o.reviewed_amount)
                IS DISTINCT FROM
                  (n.project_id, n.round_id, n.state, n.requested_amount, n.reviewed_amount)
            UNION SELECT o.project_id FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE o.project_id <> n.project_id
        ));
    END IF;
    RETURN NULL;
END
$trigger$;
"""  # nosec B608  # constant SQL of this migration, no input

_kept = importlib.import_module("reports.migrations.0005_kept_totals_by_trigger")
WATCHED = (
    ("budgeting_review", "reports_fold_reviews", _kept.ALL),
    ("budgeting_roundresult", "reports_fold_round_results", _kept.ALL),
)
TRIGGERS = "\n".join(_kept._triggers(*watched) for watched in WATCHED)
SQL = FOLD + TRIGGERS + "SELECT reports_summary_recount(NULL);"
# Back to 0009's fold and 0007's recount: the rounds' shares go (the unit cells go with
# 0010's table).
BACK = """
DROP FUNCTION IF EXISTS reports_fold_reviews(), reports_fold_round_results();
DELETE FROM reports_summaryshare WHERE round_id IS NOT NULL;
CREATE OR REPLACE FUNCTION reports_summary_recount(only_year integer) RETURNS void
LANGUAGE plpgsql AS $recount$
BEGIN
    DELETE FROM reports_summaryshare WHERE only_year IS NULL OR budget_year = only_year;
    DELETE FROM reports_summarycell WHERE only_year IS NULL OR budget_year = only_year;
    DELETE FROM reports_rollupcell WHERE only_year IS NULL OR budget_year = only_year;
    PERFORM reports_summary_fold(ARRAY(
        SELECT id FROM projects_project
        WHERE budget_year IS NOT NULL AND (only_year IS NULL OR budget_year = only_year)
    ));
END
$recount$;
"""  # nosec B608  # constant SQL of this migration, no input
DROP_TRIGGERS = "\n".join(
    f"DROP TRIGGER IF EXISTS reports_cells_{event.lower()} ON {table};"
    for table, _function, events in WATCHED
    for event in events
)
UNDO = DROP_TRIGGERS + BACK + _0009.FOLD


class Migration(migrations.Migration):
    """Apart from 0010, whose unique constraint Django creates at the end of it."""

    dependencies = [
        ("budgeting", "0011_cycle_jurisdiction"),
        ("reports", "0010_unit_cells"),
    ]

    operations = [
        # Every year counted afresh: the shares' round rows and the unit cells.
        migrations.RunSQL(SQL, UNDO, elidable=False),
    ]
