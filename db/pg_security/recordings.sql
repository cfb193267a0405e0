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
        PERFORM public.kod_audit_server('recording.open', 'recording', p_recording, '{}',
                                        btrim(p_reason), NULL, p_workstation);
    END IF;
END
$$;

-- One file of the store belongs to one row: a recording's or a snapshot's storage key is not
-- used by any other recording or snapshot, nor by a file of a deleted one still to be
-- removed. Otherwise a snapshot written by hand could name a held recording's file, which the
-- deletion job would then remove with the due recording (or block the job for everyone on the
-- duplicate in its list). Serialised by the write lock, whatever program sent the statement.
CREATE OR REPLACE FUNCTION public.kod_storage_key_free() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.storage_key IS NOT DISTINCT FROM OLD.storage_key THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(4935492);
    IF EXISTS (SELECT 1 FROM public.recording r
                WHERE r.storage_key = NEW.storage_key
                  AND (TG_TABLE_NAME <> 'recording' OR r.id <> NEW.id))
       OR EXISTS (SELECT 1 FROM public.recording_snapshot x
                   WHERE x.storage_key = NEW.storage_key
                     AND (TG_TABLE_NAME <> 'recording_snapshot' OR x.id <> NEW.id))
       OR EXISTS (SELECT 1 FROM public.recording_deletion d
                   WHERE d.storage_key = NEW.storage_key AND d.file_removed_at IS NULL)
       OR EXISTS (SELECT 1 FROM public.recording_deletion_snapshot f
                   WHERE f.storage_key = NEW.storage_key) THEN
        RAISE EXCEPTION 'the storage key % belongs to another file', NEW.storage_key
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END
$$;

-- When a recording's period runs out: at the end of the retention_days-th day after the day it
-- was recorded (local time, Europe/Berlin), by the server's setting and clock alone.
CREATE OR REPLACE FUNCTION public.kod_recording_due(p_started timestamptz) RETURNS timestamptz
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_days integer;
BEGIN
    SELECT (s.value::jsonb #>> '{}')::integer INTO v_days
      FROM public.setting s WHERE s.key = 'bodycam.retention_days';
    v_days := coalesce(v_days, 14);
    RETURN (((p_started AT TIME ZONE 'Europe/Berlin')::date + v_days + 1)::timestamp)
           AT TIME ZONE 'Europe/Berlin';
END
$$;

-- Delete the recordings whose period ran out and that no hold (proposed, in force or with its
-- lifting not yet confirmed) keeps. Irreversible: the wrapped data key is destroyed, the row
-- with its personal data removed, and its snapshots with their keys (their files are listed in
-- recording_deletion_snapshot for removal); the deletion protocol keeps number, hash, size,
-- times, the reason and how many snapshot files went with it. Returns the storage keys, whose
-- files the caller removes after the commit (a file left behind opens with no key any more;
-- kod_recording_file_removed and kod_recording_snapshot_removed mark them removed, for
-- recording.delete and the owner alone). Any login may run it: what is due is decided here,
-- by the server's clock.
CREATE OR REPLACE FUNCTION public.kod_recording_expire(p_limit integer DEFAULT 500)
RETURNS TABLE (recording_id bigint, storage_key text, protocol_id bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    r record;
    v_pid bigint;
    v_snaps integer;
BEGIN
    PERFORM pg_advisory_xact_lock(4935492);
    FOR r IN
        SELECT rec.id, rec.sha256, rec.size_bytes, rec.started_at, rec.ended_at,
               rec.storage_key AS skey, public.kod_recording_due(rec.started_at) AS due
          FROM public.recording rec
         WHERE public.kod_recording_due(rec.started_at) <= now()
           AND NOT EXISTS (SELECT 1 FROM public.recording_hold h
                            WHERE h.recording_id = rec.id AND h.released_at IS NULL)
         ORDER BY rec.started_at, rec.id
         LIMIT greatest(coalesce(p_limit, 500), 1)
         FOR UPDATE OF rec
    LOOP
        INSERT INTO public.recording_deletion (recording_id, sha256, size_bytes, started_at,
                                               ended_at, due_at, deleted_at, reason, storage_key)
        VALUES (r.id, r.sha256, r.size_bytes, r.started_at, r.ended_at, r.due, now(),
                'expired', r.skey)
        RETURNING id INTO v_pid;
        -- A key another row still uses (only from before kod_storage_key_free) is not
        -- listed: its file is not this recording's to remove.
        INSERT INTO public.recording_deletion_snapshot (deletion_id, storage_key)
        SELECT v_pid, s.storage_key FROM public.recording_snapshot s
         WHERE s.recording_id = r.id
           AND NOT EXISTS (SELECT 1 FROM public.recording o WHERE o.storage_key = s.storage_key)
           AND NOT EXISTS (SELECT 1 FROM public.recording_snapshot o
                            WHERE o.storage_key = s.storage_key AND o.recording_id <> r.id)
        ON CONFLICT (storage_key) DO NOTHING;
        GET DIAGNOSTICS v_snaps = ROW_COUNT;
        UPDATE public.recording_deletion d SET snapshot_files = v_snaps WHERE d.id = v_pid;
        DELETE FROM public.recording_snapshot s WHERE s.recording_id = r.id;
        DELETE FROM public.recording_key k WHERE k.recording_id = r.id;
        DELETE FROM public.recording_hold h WHERE h.recording_id = r.id;
        UPDATE public.offence_evidence e SET recording_id = NULL WHERE e.recording_id = r.id;
        DELETE FROM public.recording x WHERE x.id = r.id;
        PERFORM public.kod_audit_server('recording.delete', 'recording', r.id,
                                        jsonb_build_object('protocol', v_pid, 'sha256', r.sha256)::text,
                                        'Fristablauf', NULL, NULL);
        INSERT INTO public.change_feed (occurred_at, entity, entity_id, op, version, origin)
        VALUES (now(), 'recording', r.id, 'delete', NULL, 'server');
        recording_id := r.id;
        storage_key := r.skey;
        protocol_id := v_pid;
        RETURN NEXT;
    END LOOP;
END
$$;

-- The stored file of a deleted recording was removed from the store: noted in the protocol.
-- The server cannot look into the store, so it trusts only the deletion job of a login that
-- may delete recordings (or the owner's scheduled task): any other login could otherwise
-- make the protocol say a file is gone that is still there. Only for a protocol line whose
-- recording is really gone (written by kod_recording_expire), and only once.
CREATE OR REPLACE FUNCTION public.kod_recording_file_removed(p_protocol bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM public.kod_require('recording.delete');
    UPDATE public.recording_deletion d SET file_removed_at = now()
     WHERE d.id = p_protocol AND d.file_removed_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM public.recording r WHERE r.id = d.recording_id)
       AND NOT EXISTS (SELECT 1 FROM public.recording_key k WHERE k.recording_id = d.recording_id);
END
$$;

-- A snapshot file of a deleted recording is removed from the store: counted in the protocol
-- and taken off the list of files still to remove (by the same logins as above: whoever takes
-- a file off the list makes sure no later run removes it).
CREATE OR REPLACE FUNCTION public.kod_recording_snapshot_removed(p_file bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_deletion bigint;
BEGIN
    PERFORM public.kod_require('recording.delete');
    DELETE FROM public.recording_deletion_snapshot f WHERE f.id = p_file
    RETURNING f.deletion_id INTO v_deletion;
    IF FOUND THEN
        UPDATE public.recording_deletion d
           SET snapshot_files_removed = d.snapshot_files_removed + 1
         WHERE d.id = v_deletion;
    END IF;
END
$$;

-- A proposal to lift a hold is its proposer's: the second person consents to the reason they
-- see, so nobody else may rewrite it or withdraw it (proposing anew in one's own name stays
-- possible: the who-column then names the new proposer), and a lifted hold's record stays as
-- it was. Runs before kod_stamp (alphabetical): a changed released_by_id will name the caller.
CREATE OR REPLACE FUNCTION public.kod_hold_release_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_me bigint;
BEGIN
    IF public.kod_is_owner()
       OR (NEW.released_by_id IS NOT DISTINCT FROM OLD.released_by_id
           AND NEW.release_requested_at IS NOT DISTINCT FROM OLD.release_requested_at
           AND NEW.release_note IS NOT DISTINCT FROM OLD.release_note) THEN
        RETURN NEW;
    END IF;
    IF OLD.released_at IS NOT NULL THEN
        RAISE EXCEPTION 'hold % was lifted: its record is not changed', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    v_me := public.kod_current_user_id();
    IF OLD.released_by_id IS NOT NULL AND OLD.released_by_id IS DISTINCT FROM v_me
       AND (NEW.released_by_id IS NULL OR NEW.released_by_id IS NOT DISTINCT FROM OLD.released_by_id)
    THEN
        RAISE EXCEPTION 'only its proposer changes or withdraws a proposal to lift hold %', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

-- The checks both steps of a second person share (confirming a hold, consenting to lifting
-- it): the caller may confirm holds, the hold exists (locked until the commit), it waits for
-- this step, and the caller is not the one who proposed it. Returns the hold and the caller.
DROP FUNCTION IF EXISTS public.kod_recording_hold_locked(bigint);
CREATE OR REPLACE FUNCTION public.kod_recording_hold_second_person(
    p_hold bigint, p_lifting boolean, OUT h public.recording_hold, OUT me bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_proposer bigint;
    v_waiting boolean;
BEGIN
    PERFORM public.kod_require('recording.hold_confirm');
    SELECT * INTO h FROM public.recording_hold x WHERE x.id = p_hold FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'hold % does not exist', p_hold USING ERRCODE = 'no_data_found';
    END IF;
    IF p_lifting THEN
        v_waiting := h.released_by_id IS NOT NULL AND h.release_requested_at IS NOT NULL;
        v_proposer := h.released_by_id;
    ELSE
        v_waiting := h.confirmed_at IS NULL;
        v_proposer := h.created_by_id;
    END IF;
    IF h.released_at IS NOT NULL OR NOT v_waiting THEN
        RAISE EXCEPTION 'hold % is not waiting for this step', p_hold
            USING ERRCODE = 'check_violation';
    END IF;
    me := public.kod_current_user_id();
    IF me IS NULL OR me = v_proposer THEN
        RAISE EXCEPTION 'a second person confirms, not whoever proposed it'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

-- The second person of a hold: confirms a proposed hold. Never the one who proposed it.
CREATE OR REPLACE FUNCTION public.kod_recording_hold_confirm(
    p_hold bigint, p_workstation text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    s record;
BEGIN
    SELECT * INTO s FROM public.kod_recording_hold_second_person(p_hold, false);
    UPDATE public.recording_hold x SET confirmed_by_id = s.me, confirmed_at = now()
     WHERE x.id = p_hold;
    PERFORM public.kod_audit_server('recording.hold.confirm', 'recording', (s.h).recording_id,
                                    jsonb_build_object('hold', p_hold, 'kind', (s.h).reason,
                                                       'file_number', (s.h).file_number)::text,
                                    (s.h).note, NULL, p_workstation);
END
$$;

-- The second person of lifting a hold: consents to a proposed lifting. Never its proposer.
CREATE OR REPLACE FUNCTION public.kod_recording_hold_release(
    p_hold bigint, p_workstation text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    s record;
BEGIN
    SELECT * INTO s FROM public.kod_recording_hold_second_person(p_hold, true);
    UPDATE public.recording_hold x SET released_at = now(), release_consent_by_id = s.me
     WHERE x.id = p_hold;
    PERFORM public.kod_audit_server('recording.hold.release', 'recording', (s.h).recording_id,
                                    jsonb_build_object('hold', p_hold, 'kind', (s.h).reason,
                                                       'file_number', (s.h).file_number)::text,
                                    (s.h).release_note, NULL, p_workstation);
END
$$;

-- An evidence export: the key, released with a reason and a recipient, and the audit record.
CREATE OR REPLACE FUNCTION public.kod_recording_export_key(
    p_recording bigint, p_reason text, p_recipient text, p_workstation text DEFAULT NULL)
RETURNS TABLE (key_id text, wrapped_key bytea, storage_key text, sha256 text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM public.kod_require('recording.export');
    IF length(btrim(coalesce(p_reason, ''))) < 8 OR btrim(coalesce(p_recipient, '')) = '' THEN
        RAISE EXCEPTION 'an export needs a stated reason and a recipient'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN QUERY
        SELECT k.key_id::text, k.wrapped_key, r.storage_key::text, r.sha256::text
          FROM public.recording_key k
          JOIN public.recording r ON r.id = k.recording_id
         WHERE k.recording_id = p_recording AND r.deleted_at IS NULL;
    IF FOUND THEN
        PERFORM public.kod_audit_server('recording.export', 'recording', p_recording, '{}',
                                        btrim(p_reason), btrim(p_recipient), p_workstation);
    END IF;
END
$$;

-- The chain of custody of one recording: every audited access, for the export's protocol.
CREATE OR REPLACE FUNCTION public.kod_recording_custody(p_recording bigint)
RETURNS TABLE (occurred_at timestamptz, username text, action text, reason text,
               recipient text, workstation text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM public.kod_require('recording.export');
    RETURN QUERY
        SELECT a.occurred_at, a.username::text, a.action::text, a.reason::text,
               a.recipient::text, a.workstation::text
          FROM public.audit_log a
         WHERE a.entity = 'recording' AND a.entity_id = p_recording
           AND a.action LIKE 'recording.%'
         ORDER BY a.id;
END
$$;

-- Checking the whole store needs every key: for the schema owner (the scheduled check) only;
-- the check is audited by the service (recording.verify).
CREATE OR REPLACE FUNCTION public.kod_recording_verify_keys(p_workstation text DEFAULT NULL)
RETURNS TABLE (recording_id bigint, key_id text, wrapped_key bytea, storage_key text,
               sha256 text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT public.kod_is_owner() THEN
        RAISE EXCEPTION 'permission denied: the store is checked by the database owner'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
        SELECT r.id, k.key_id::text, k.wrapped_key, r.storage_key::text, r.sha256::text
          FROM public.recording r
          LEFT JOIN public.recording_key k ON k.recording_id = r.id
         WHERE r.deleted_at IS NULL
         ORDER BY r.id;
END
$$;
