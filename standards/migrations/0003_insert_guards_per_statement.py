"""Inserts into published and retired standards are refused once per statement.

Migration 0002 checked the owning set row by row, two lookups per grade: a
bulk import of 10,000 grades into a draft spent a tenth of its time there.
Inserts now fire one statement-level trigger that looks at all new rows at
once (a transition table); a row into a set that is not a draft still fails
the whole statement with the same error. Updates and deletes keep their row
triggers.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION standards_members_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    refused text;
BEGIN
    IF TG_TABLE_NAME = 'standards_grade' THEN
        SELECT s.code INTO refused FROM standards_standardset s
            WHERE s.status <> 'draft' AND s.id IN (
                SELECT i.standard_set_id FROM standards_serviceitem i
                WHERE i.id IN (SELECT item_id FROM new_rows)
            )
            LIMIT 1;
    ELSE
        SELECT s.code INTO refused FROM standards_standardset s
            WHERE s.status <> 'draft' AND s.id IN (SELECT standard_set_id FROM new_rows)
            LIMIT 1;
    END IF;
    IF refused IS NOT NULL THEN
        PERFORM standards_refuse(refused);
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER standards_category_immutable ON standards_feecategory;
DROP TRIGGER standards_item_immutable ON standards_serviceitem;
DROP TRIGGER standards_grade_immutable ON standards_grade;
CREATE TRIGGER standards_category_immutable
    BEFORE UPDATE OR DELETE ON standards_feecategory
    FOR EACH ROW EXECUTE FUNCTION standards_member_guard();
CREATE TRIGGER standards_item_immutable
    BEFORE UPDATE OR DELETE ON standards_serviceitem
    FOR EACH ROW EXECUTE FUNCTION standards_member_guard();
CREATE TRIGGER standards_grade_immutable
    BEFORE UPDATE OR DELETE ON standards_grade
    FOR EACH ROW EXECUTE FUNCTION standards_grade_guard();
CREATE TRIGGER standards_category_insert_immutable
    AFTER INSERT ON standards_feecategory REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION standards_members_inserted();
CREATE TRIGGER standards_item_insert_immutable
    AFTER INSERT ON standards_serviceitem REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION standards_members_inserted();
CREATE TRIGGER standards_grade_insert_immutable
    AFTER INSERT ON standards_grade REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION standards_members_inserted();
"""

BACKWARD = """
DROP TRIGGER standards_grade_insert_immutable ON standards_grade;
DROP TRIGGER standards_item_insert_immutable ON standards_serviceitem;
DROP TRIGGER standards_category_insert_immutable ON standards_feecategory;
DROP TRIGGER standards_grade_immutable ON standards_grade;
DROP TRIGGER standards_item_immutable ON standards_serviceitem;
DROP TRIGGER standards_category_immutable ON standards_feecategory;
CREATE TRIGGER standards_category_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON standards_feecategory
    FOR EACH ROW EXECUTE FUNCTION standards_member_guard();
CREATE TRIGGER standards_item_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON standards_serviceitem
    FOR EACH ROW EXECUTE FUNCTION standards_member_guard();
CREATE TRIGGER standards_grade_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON standards_grade
    FOR EACH ROW EXECUTE FUNCTION standards_grade_guard();
DROP FUNCTION standards_members_inserted();
"""


class Migration(migrations.Migration):
    dependencies = [("standards", "0002_published_sets_are_immutable")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
