import importlib

import django.db.models.deletion
from django.db import migrations, models

# 0007's fold, with each new cell given its unit's jurisdiction, and its unit move, which
# now moves the cells' jurisdiction too (issue #21): a reviewer's summary reads the
# cells of its jurisdiction by an index instead of the whole province's year.
_0007 = importlib.import_module("reports.migrations.0007_roll_up_cells")
KEYS = _0007.KEYS
FIGURES = _0007.FIGURES
PROJECT_KEYS = _0007.PROJECT_KEYS
LINE_AFTER = _0007.LINE_AFTER
ADD_TO_ROLL_UP = _0007.ADD_TO_ROLL_UP

# Checked at once, so that no foreign key check is pending when the column is altered.
FILL = """
SET CONSTRAINTS ALL IMMEDIATE;
UPDATE reports_summarycell c SET jurisdiction_id = o.jurisdiction_id
FROM accounts_organization o WHERE o.id = c.organization_id;
SET CONSTRAINTS ALL DEFERRED;
"""

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
        RETURNING {KEYS}, {FIGURES}
    ), fresh AS (
        SELECT p.id, {PROJECT_KEYS}, ''::varchar, 1,
            (EXISTS (SELECT 1 FROM projects_estimateline l WHERE l.project_id = p.id))::int,
            p.requested_amount, coalesce(p.approved_amount, 0),
            CASE WHEN p.approved_amount IS NULL THEN 0 ELSE p.requested_amount END,
            0::numeric
        FROM projects_project p
        WHERE p.id = ANY(ids) AND p.budget_year IS NOT NULL
        UNION ALL
        SELECT p.id, {PROJECT_KEYS}, l.fee_class, 1, 0, sum(l.amount),
            CASE WHEN p.approved_amount IS NULL THEN 0 ELSE sum(l.after) END,
            CASE WHEN p.approved_amount IS NULL THEN 0 ELSE sum(l.amount) END,
            sum(l.after)
        FROM projects_project p JOIN (
            SELECT l.project_id, l.fee_class, l.amount, {LINE_AFTER} AS after
            FROM projects_estimateline l WHERE l.project_id = ANY(ids)
        ) l ON l.project_id = p.id
        WHERE p.id = ANY(ids) AND p.budget_year IS NOT NULL
        GROUP BY p.id, l.fee_class
    ), added AS (
        INSERT INTO reports_summaryshare (project_id, {KEYS}, {FIGURES})
        SELECT * FROM fresh
        RETURNING {KEYS}, {FIGURES}
    ), delta AS (
        SELECT {KEYS}, sum(projects) AS projects, sum(with_lines) AS with_lines,
            sum(requested) AS requested, sum(approved) AS approved,
            sum(requested_of_decided) AS requested_of_decided, sum(reviewed) AS reviewed
        FROM (
            SELECT {KEYS}, -projects AS projects, -with_lines AS with_lines,
                -requested AS requested, -approved AS approved,
                -requested_of_decided AS requested_of_decided, -reviewed AS reviewed
            FROM old
            UNION ALL
            SELECT * FROM added
        ) change
        GROUP BY {KEYS}
        HAVING sum(projects) <> 0 OR sum(with_lines) <> 0 OR sum(requested) <> 0
            OR sum(approved) <> 0 OR sum(requested_of_decided) <> 0 OR sum(reviewed) <> 0
    ), placed AS (
        -- Each change with its unit's jurisdiction (locked above).
        SELECT d.*, o.jurisdiction_id
        FROM delta d JOIN accounts_organization o ON o.id = d.organization_id
    ), cells AS (
        -- In the keys' order, so writers adding to the same cells lock them in one order.
        -- A cell's jurisdiction is its unit's: an existing cell has it already (a move
        -- updates it), so only a new cell takes it.
        INSERT INTO reports_summarycell ({KEYS}, {FIGURES}, jurisdiction_id)
        SELECT * FROM placed ORDER BY {KEYS}
        ON CONFLICT ON CONSTRAINT summary_cell_keys DO UPDATE SET
            projects = reports_summarycell.projects + EXCLUDED.projects,
            with_lines = reports_summarycell.with_lines + EXCLUDED.with_lines,
            requested = reports_summarycell.requested + EXCLUDED.requested,
            approved = reports_summarycell.approved + EXCLUDED.approved,
            requested_of_decided =
                reports_summarycell.requested_of_decided + EXCLUDED.requested_of_decided,
            reviewed = reports_summarycell.reviewed + EXCLUDED.reviewed
    ), roll_up_change AS (
        -- The lines' rows (a project row has no fee class) by the unit's jurisdiction.
        SELECT budget_year, jurisdiction_id, kind, state, fee_class,
            projects, requested, reviewed
        FROM placed
        WHERE fee_class <> ''
    )
    {ADD_TO_ROLL_UP};
    DELETE FROM reports_summarycell WHERE projects = 0;
    DELETE FROM reports_rollupcell WHERE projects = 0;
END
$fold$;

-- A unit moved to another jurisdiction takes its cells along: the roll-up's figures, and
-- the summary cells' own jurisdiction.
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
    RETURN NULL;
END
$trigger$;
"""  # nosec B608  # constant SQL of this migration, no input

# Back to 0007's functions (which recount every cell) before the column goes.
UNDO = "DROP TRIGGER IF EXISTS reports_roll_up_move ON accounts_organization;" + _0007.FOLD


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_jurisdictions"),
        ("reports", "0008_similar_pages_by_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="summarycell",
            name="jurisdiction",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.jurisdiction",
            ),
        ),
        migrations.RunSQL(FILL + FOLD, UNDO, elidable=False),
        migrations.AlterField(
            model_name="summarycell",
            name="jurisdiction",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.jurisdiction",
            ),
        ),
        migrations.AddIndex(
            model_name="summarycell",
            index=models.Index(
                fields=["budget_year", "jurisdiction", "fee_class"],
                name="summary_cell_jurisdiction",
            ),
        ),
    ]
