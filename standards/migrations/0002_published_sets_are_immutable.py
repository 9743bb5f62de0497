"""Published and retired standards cannot change, even past the services.

Row triggers refuse INSERT, UPDATE and DELETE of fee classes, items and grades
of a set that is not a draft, and any change to such a set except moving it
on (published -> retired) and closing its effective period. TRUNCATE (the
test suite's flush) fires no row trigger.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION standards_refuse(set_code text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'standard % is published: copy it to a new version to change it', set_code
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE FUNCTION standards_check_set_is_draft(set_id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    row_status text;
    row_code text;
BEGIN
    SELECT status, code INTO row_status, row_code FROM standards_standardset WHERE id = set_id;
    IF row_status IS NOT NULL AND row_status <> 'draft' THEN
        PERFORM standards_refuse(row_code);
    END IF;
END;
$$;

CREATE FUNCTION standards_set_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            PERFORM standards_refuse(OLD.code);
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.status = 'draft'
        OR (to_jsonb(NEW) - 'status' - 'effective_to')
           IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'effective_to')
    ) THEN
        PERFORM standards_refuse(OLD.code);
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION standards_member_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM standards_check_set_is_draft(OLD.standard_set_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM standards_check_set_is_draft(NEW.standard_set_id);
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$;

CREATE FUNCTION standards_grade_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner bigint;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT standard_set_id INTO owner FROM standards_serviceitem WHERE id = OLD.item_id;
        PERFORM standards_check_set_is_draft(owner);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT standard_set_id INTO owner FROM standards_serviceitem WHERE id = NEW.item_id;
        PERFORM standards_check_set_is_draft(owner);
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER standards_set_immutable
    BEFORE UPDATE OR DELETE ON standards_standardset
    FOR EACH ROW EXECUTE FUNCTION standards_set_guard();
CREATE TRIGGER standards_category_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON standards_feecategory
    FOR EACH ROW EXECUTE FUNCTION standards_member_guard();
CREATE TRIGGER standards_item_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON standards_serviceitem
    FOR EACH ROW EXECUTE FUNCTION standards_member_guard();
CREATE TRIGGER standards_grade_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON standards_grade
    FOR EACH ROW EXECUTE FUNCTION standards_grade_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS standards_grade_immutable ON standards_grade;
DROP TRIGGER IF EXISTS standards_item_immutable ON standards_serviceitem;
DROP TRIGGER IF EXISTS standards_category_immutable ON standards_feecategory;
DROP TRIGGER IF EXISTS standards_set_immutable ON standards_standardset;
DROP FUNCTION IF EXISTS standards_grade_guard();
DROP FUNCTION IF EXISTS standards_member_guard();
DROP FUNCTION IF EXISTS standards_set_guard();
DROP FUNCTION IF EXISTS standards_check_set_is_draft(bigint);
DROP FUNCTION IF EXISTS standards_refuse(text);
"""


class Migration(migrations.Migration):
    dependencies = [("standards", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
