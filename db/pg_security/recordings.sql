-- Bodycam recordings on the server (run after functions.sql by db.pg_security.install).
--
-- A recording's data key, wrapped by the master key, lies in recording_key, which no login may
-- read. It is released only here: to a login whose role may view recordings, only with a stated
-- reason, and never without an audit record of who opened which recording, when and why.
-- Without the master key (a file on the workstations) the wrapped key opens nothing.
CREATE OR REPLACE FUNCTION public.kod_recording_key(
    p_recording bigint, p_reason text, p_workstation text DEFAULT NULL)
RETURNS TABLE (key_id text, wrapped_key bytea, storage_key text, sha256 text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT (public.kod_is_owner() OR public.kod_may('recording.view')) THEN
        RAISE EXCEPTION 'permission denied: recording.view'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF length(btrim(coalesce(p_reason, ''))) < 8 THEN
        RAISE EXCEPTION 'a recording is opened only with a stated reason'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN QUERY
        SELECT k.key_id::text, k.wrapped_key, r.storage_key::text, r.sha256::text
          FROM public.recording_key k
          JOIN public.recording r ON r.id = k.recording_id
         WHERE k.recording_id = p_recording AND r.deleted_at IS NULL;
    IF FOUND THEN
        PERFORM public.kod_audit('recording.open', 'recording', p_recording, '{}',
                                 btrim(p_reason), NULL, p_workstation);
    END IF;
END
$$;
