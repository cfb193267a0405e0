-- Raw material of the statistics without personal data: no names, no addresses, no free text.
-- The views run with their owner's rights, so roles that may see statistics need no right on
-- the tables themselves (and row-level security of the tables does not cut their counts).
CREATE OR REPLACE VIEW public.kod_unit_status_statistics AS
    SELECT c.id, c.unit_id, c.status, c.changed_at
      FROM public.unit_status_change c;

-- An Auftrag naming the police is a joint patrol (app.services.statistics_sql).
CREATE OR REPLACE VIEW public.kod_task_statistics AS
    SELECT t.id, t.created_at,
           (lower(t.title) LIKE '%polizei%'
            OR lower(coalesce(t.description, '')) LIKE '%polizei%') AS joint_patrol
      FROM public.task t;

CREATE OR REPLACE VIEW public.kod_recording_statistics AS
    SELECT r.id, r.started_at
      FROM public.recording r;

CREATE OR REPLACE VIEW public.kod_recording_hold_statistics AS
    SELECT h.id, h.created_at
      FROM public.recording_hold h;

-- A deleted recording's row is gone; the deletion protocol keeps when it started. A function,
-- not a view: the protocol's table comes with migration 0012 and may be dropped again by its
-- downgrade, which a view over it would block.
CREATE OR REPLACE FUNCTION public.kod_recording_deletion_statistics()
RETURNS TABLE (id bigint, started_at timestamptz, deleted_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN QUERY SELECT d.id::bigint, d.started_at, d.deleted_at FROM public.recording_deletion d;
END
$$;
