import importlib

import django.db.models.deletion
from django.db import migrations, models

# As reports 0005 keeps the cells, with the reviewed figure (审核数) on the fee class
# rows, and each change to the cells added to the roll-up's (reports.models.RollUpCell).
KEYS = (
    "budget_year, organization_id, reached_roles, kind, continuity, managed_by_data_admin,"
    " budget_category, procurement_method, state, functional_code, economic_government_code,"
    " economic_department_code, fund_type_code, fund_source_code, fee_class"
)
FIGURES = "projects, with_lines, requested, approved, requested_of_decided, reviewed"
PROJECT_KEYS = (
    "p.budget_year, p.organization_id, p.reached_roles, p.kind, p.continuity,"
    " p.managed_by_data_admin, p.budget_category, p.procurement_method, p.state,"
    " p.functional_code_id, p.economic_government_code_id, p.economic_department_code_id,"
    " p.fund_type_code_id, p.fund_source_code_id"
)
LINE_AFTER = (
    "coalesce((SELECT d.approved_amount FROM budgeting_linedecision d"
    " JOIN budgeting_reviewstage s ON s.id = d.stage_id WHERE d.line_id = l.id"
    ' ORDER BY s."order" DESC LIMIT 1), l.amount)'
)
ROLL_UP_KEYS = "budget_year, jurisdiction_id, kind, state, fee_class"
# Adds a change (rows of ROLL_UP_KEYS, projects, requested, reviewed) to the roll-up's cells.
ADD_TO_ROLL_UP = f"""
    INSERT INTO reports_rollupcell ({ROLL_UP_KEYS}, projects, requested, reviewed)
    SELECT {ROLL_UP_KEYS}, sum(projects), sum(requested), sum(reviewed)
    FROM roll_up_change
    GROUP BY {ROLL_UP_KEYS}
    HAVING sum(projects) <> 0 OR sum(requested) <> 0 OR sum(reviewed) <> 0
    ORDER BY {ROLL_UP_KEYS}
    ON CONFLICT ON CONSTRAINT roll_up_cell_keys DO UPDATE SET
        projects = reports_rollupcell.projects + EXCLUDED.projects,
        requested = reports_rollupcell.requested + EXCLUDED.requested,
        reviewed = reports_rollupcell.reviewed + EXCLUDED.reviewed
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
    ), cells AS (
        -- In the keys' order, so writers adding to the same cells lock them in one order.
        INSERT INTO reports_summarycell ({KEYS}, {FIGURES})
        SELECT * FROM delta ORDER BY {KEYS}
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
        SELECT d.budget_year, o.jurisdiction_id, d.kind, d.state, d.fee_class,
            d.projects, d.requested, d.reviewed
        FROM delta d JOIN accounts_organization o ON o.id = d.organization_id
        WHERE d.fee_class <> ''
    )
    {ADD_TO_ROLL_UP};
    DELETE FROM reports_summarycell WHERE projects = 0;
    DELETE FROM reports_rollupcell WHERE projects = 0;
END
$fold$;

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

-- A unit moved to another jurisdiction takes its cells' figures along.
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
    RETURN NULL;
END
$trigger$;

CREATE TRIGGER reports_roll_up_move AFTER UPDATE ON accounts_organization
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION reports_move_units();

SELECT reports_summary_recount(NULL);
"""  # nosec B608  # constant SQL of this migration, no input


def _undo() -> str:
    kept = importlib.import_module("reports.migrations.0005_kept_totals_by_trigger")
    return (
        "DROP TRIGGER IF EXISTS reports_roll_up_move ON accounts_organization;"
        " DROP FUNCTION IF EXISTS reports_move_units();"
        + kept.FOLD
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_jurisdictions'),
        ('reports', '0006_perfw_page_scopes'),
    ]

    operations = [
        migrations.AddField(
            model_name='summarycell',
            name='reviewed',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=20),
        ),
        migrations.AddField(
            model_name='summaryshare',
            name='reviewed',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=20),
        ),
        migrations.CreateModel(
            name='RollUpCell',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('budget_year', models.PositiveSmallIntegerField()),
                ('kind', models.CharField(max_length=20)),
                ('state', models.CharField(max_length=20)),
                ('fee_class', models.CharField(blank=True, max_length=100)),
                ('projects', models.IntegerField()),
                ('requested', models.DecimalField(decimal_places=2, max_digits=20)),
                ('reviewed', models.DecimalField(decimal_places=2, max_digits=20)),
                ('jurisdiction', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.jurisdiction')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('projects', 0)), fields=['id'], name='roll_up_cell_empty')],
                'constraints': [models.UniqueConstraint(fields=('budget_year', 'jurisdiction', 'kind', 'state', 'fee_class'), name='roll_up_cell_keys')],
            },
        ),
        # Recounted: every cell's reviewed figure and the roll-up's cells.
        migrations.RunSQL(FOLD, _undo(), elidable=False),
    ]
