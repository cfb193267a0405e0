-- Server-side enforcement on PostgreSQL: identity, audit chain, user administration.
--
-- Installed (CREATE OR REPLACE, idempotent) by db.pg_security.install() as the schema owner.
-- Every SECURITY DEFINER function pins its search_path (pg_catalog first, pg_temp last) and
-- names tables schema-qualified, so no login can redirect it to objects of its own.
-- Functions whose body depends on the permission matrix (kod_may, kod_group_of, kod_role_of)
-- are generated in Python (db/pg_security/groups.py) and created before this file runs.

-- Provisional ids (negative) of change-feed entries until their commit (kod_feed_pending), and
-- the services' audit records until theirs (kod_audit): rows of one transaction that never
-- outlive it, so the table is unlogged. No login may touch it; kod_audit writes it.
CREATE SEQUENCE IF NOT EXISTS public.kod_pending_id;
CREATE UNLOGGED TABLE IF NOT EXISTS public.audit_pending (
    id bigint PRIMARY KEY DEFAULT nextval('public.kod_pending_id'),
    user_id bigint,
    username text,
    action text NOT NULL,
    entity text,
    entity_id bigint,
    details text NOT NULL,
    reason text,
    recipient text,
    workstation text
);
REVOKE ALL ON public.audit_pending FROM PUBLIC;

-- Is the session's login the owner of the schema's tables (or a superuser)? The owner runs the
-- migrations and bulk loads; it could change anything anyway and stands outside the rights model.
CREATE OR REPLACE FUNCTION public.kod_is_owner() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT coalesce(
        (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user), false)
        OR pg_has_role(session_user,
                       (SELECT c.relowner FROM pg_class c
                         WHERE c.oid = 'public.audit_log'::regclass), 'USAGE')
$$;

-- Who acts: the session's login and its account id. Only the owner may name another person
-- (transaction-local settings kod.actor / kod.actor_id): tests and bulk jobs run as the owner on
-- behalf of a person. For every other login what the client says is ignored.
CREATE OR REPLACE FUNCTION public.kod_actor(OUT user_id bigint, OUT username text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF coalesce(current_setting('kod.actor', true), '') <> '' AND public.kod_is_owner() THEN
        username := left(current_setting('kod.actor', true), 64);
        user_id := nullif(current_setting('kod.actor_id', true), '')::bigint;
    ELSE
        -- The session's login; for the field API the officer it acts for (kod_acting_login).
        username := public.kod_acting_login();
        SELECT u.id INTO user_id FROM public.user_account u WHERE u.username = public.kod_acting_login();
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION public.kod_current_user_id() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT (public.kod_actor()).user_id
$$;

-- The units the acting person currently serves in (field officers act for their own unit).
CREATE OR REPLACE FUNCTION public.kod_my_units() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT m.unit_id FROM public.unit_member m
     WHERE m.user_id = public.kod_current_user_id() AND m.until IS NULL
$$;

-- A field officer sees an incident that one of their units was ever sent to, or that they opened.
CREATE OR REPLACE FUNCTION public.kod_sees_incident(p_incident_id bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM public.incident_unit iu
         WHERE iu.incident_id = p_incident_id
           AND iu.unit_id IN (SELECT public.kod_my_units()))
        OR EXISTS (
        SELECT 1 FROM public.incident i
         WHERE i.id = p_incident_id AND i.created_by_id = public.kod_current_user_id())
$$;

CREATE OR REPLACE FUNCTION public.kod_owns_case(p_case_id bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM public.offence_case c
                    WHERE c.id = p_case_id AND c.officer_id = public.kod_current_user_id())
$$;

-- The next Aktenzeichen of offence cases (OWi-2026-000042): over all cases, although row
-- security shows dispatchers and field officers only their own (a number taken from their
-- own cases alone would repeat someone else's). Writers are serialised by the application's
-- write lock; the unique index stays the last guard.
CREATE OR REPLACE FUNCTION public.kod_offence_next_number(p_year integer) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT 'OWi-' || p_year || '-' || lpad((coalesce(max(
               split_part(c.number, '-', 3)::integer), 0) + 1)::text, 6, '0')
      FROM public.offence_case c
     WHERE c.number LIKE 'OWi-' || p_year || '-%'
$$;

-- The audit hash: SHA-256 over a JSON array of the record's fields, exactly as
-- app.platform.audit.record_hash computes it in Python (a test compares both).
CREATE OR REPLACE FUNCTION public.kod_audit_hash(
    p_prev text, p_at timestamptz, p_user_id bigint, p_username text, p_action text,
    p_entity text, p_entity_id bigint, p_reason text, p_recipient text, p_details text,
    p_workstation text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT encode(sha256(convert_to(
        '[' || to_json(p_prev)::text
        || ',' || to_json(to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
                          || '+00:00')::text
        || ',' || coalesce(p_user_id::text, 'null')
        || ',' || coalesce(to_json(p_username)::text, 'null')
        || ',' || coalesce(to_json(p_action)::text, 'null')
        || ',' || coalesce(to_json(p_entity)::text, 'null')
        || ',' || coalesce(p_entity_id::text, 'null')
        || ',' || coalesce(to_json(p_reason)::text, 'null')
        || ',' || coalesce(to_json(p_recipient)::text, 'null')
        || ',' || coalesce(to_json(p_details)::text, 'null')
        || ',' || coalesce(to_json(p_workstation)::text, 'null')
        || ']', 'UTF8')), 'hex')
$$;

-- Where the record comes from: the name the workstation gives, and the address the server sees.
CREATE OR REPLACE FUNCTION public.kod_workstation(p_given text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT left(coalesce(nullif(left(p_given, 40), ''),
                         nullif(current_setting('kod.workstation', true), ''), '?')
                || ' @' || coalesce(host(inet_client_addr()), 'local'), 64)
$$;

-- Append one chained record. Records are appended under the order lock (4935493), held until
-- the transaction ends, so the chain stays a chain whoever sends the statement. The writers'
-- lock (4935492) is a different one: a transaction takes it at its start, exclusively unless
-- it protects what it changes with row locks (see app/platform/database.py), and then takes
-- this one only for its last statements and its commit (row records are written by deferred
-- triggers). Not executable by any login: only through the functions below and the row
-- triggers.
CREATE OR REPLACE FUNCTION public.kod_audit_append(
    p_action text, p_entity text, p_entity_id bigint, p_details text, p_reason text,
    p_recipient text, p_workstation text, p_user_id bigint, p_username text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_prev text;
    v_at timestamptz := date_trunc('microseconds', clock_timestamp());
    v_hash text;
    v_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(4935493);
    SELECT a.hash INTO v_prev FROM public.audit_log a ORDER BY a.id DESC LIMIT 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    v_hash := public.kod_audit_hash(v_prev, v_at, p_user_id, p_username, p_action, p_entity,
                                    p_entity_id, p_reason, p_recipient, p_details, p_workstation);
    INSERT INTO public.audit_log (occurred_at, user_id, username, action, entity, entity_id,
                                  reason, recipient, details, workstation, prev_hash, hash)
    VALUES (v_at, p_user_id, p_username, p_action, p_entity, p_entity_id, p_reason,
            p_recipient, coalesce(p_details, '{}'), p_workstation, v_prev, v_hash)
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;

-- An audit record longer than the log takes is refused (the services' and the server's own).
CREATE OR REPLACE FUNCTION public.kod_audit_check_length(
    p_entity text, p_details text, p_reason text, p_recipient text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF length(p_entity) > 32 OR length(p_recipient) > 200 OR length(p_details) > 100000
       OR length(p_reason) > 10000 THEN
        RAISE EXCEPTION 'audit record too long' USING ERRCODE = 'string_data_right_truncation';
    END IF;
END
$$;

-- A record in the acting person's name, for the server's own definer functions (a recording
-- opened, exported or deleted, a hold confirmed or lifted): no action is reserved here, so no
-- login may execute it.
CREATE OR REPLACE FUNCTION public.kod_audit_server(
    p_action text, p_entity text DEFAULT NULL, p_entity_id bigint DEFAULT NULL,
    p_details text DEFAULT '{}', p_reason text DEFAULT NULL, p_recipient text DEFAULT NULL,
    p_workstation text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_actor record;
BEGIN
    PERFORM public.kod_audit_check_length(p_entity, p_details, p_reason, p_recipient);
    SELECT * INTO v_actor FROM public.kod_actor();
    RETURN public.kod_audit_append(p_action, p_entity, p_entity_id, coalesce(p_details, '{}'),
                                   p_reason, p_recipient, public.kod_workstation(p_workstation),
                                   v_actor.user_id, v_actor.username);
END
$$;

-- The services' own audit records (what was done, why, for whom). The actor is the session's
-- login, never a name the client sends; actions the server writes itself are reserved: a
-- login could otherwise put a deletion "by Fristablauf", an opened clip, a confirmed hold or a
-- login into the log that never happened.
--
-- The record is taken down now, with the acting person as the session has it now, and goes
-- into the chain at the commit (kod_audit_pending), like the row records: a transaction holds
-- the order lock only while it commits, never across a round trip to its client. Returns the
-- record's provisional number (its id in the log is given at the commit).
CREATE OR REPLACE FUNCTION public.kod_audit(
    p_action text, p_entity text DEFAULT NULL, p_entity_id bigint DEFAULT NULL,
    p_details text DEFAULT '{}', p_reason text DEFAULT NULL, p_recipient text DEFAULT NULL,
    p_workstation text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_actor record;
    v_id bigint;
BEGIN
    IF p_action IS NULL OR p_action !~ '^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$'
       OR length(p_action) > 64 OR p_action = 'audit.prune' OR p_action LIKE 'db.%'
       OR p_action LIKE 'user.%'
       OR p_action IN ('login.success', 'recording.open', 'recording.export',
                       'recording.delete', 'recording.hold.confirm', 'recording.hold.release')
    THEN
        RAISE EXCEPTION 'audit action % is reserved or not valid', p_action
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- What is done with bodycam recordings is written only by who may do it: a login without
    -- the right cannot put a snapshot, a tampered clip or an import into the log.
    IF p_action LIKE 'recording.%' AND NOT public.kod_is_owner() AND NOT coalesce(public.kod_may(CASE
           WHEN p_action IN ('recording.import', 'recording.quarantine', 'recording.link')
               THEN 'recording.import'
           WHEN p_action IN ('recording.snapshot', 'recording.tampered', 'recording.bookmark',
                             'recording.bookmark_edit', 'recording.bookmark_remove')
               THEN 'recording.view'
           WHEN p_action IN ('recording.hold.propose', 'recording.hold.release_propose')
               THEN 'recording.hold'
           WHEN p_action = 'recording.export.cancel' THEN 'recording.export'
           WHEN p_action = 'recording.verify' THEN 'audit.verify'
       END), false)
    THEN
        RAISE EXCEPTION 'audit action % needs a right this login does not hold', p_action
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM public.kod_audit_check_length(p_entity, p_details, p_reason, p_recipient);
    SELECT * INTO v_actor FROM public.kod_actor();
    INSERT INTO public.audit_pending (user_id, username, action, entity, entity_id, details,
                                      reason, recipient, workstation)
    VALUES (v_actor.user_id, v_actor.username, p_action, p_entity, p_entity_id,
            coalesce(p_details, '{}'), p_reason, p_recipient,
            public.kod_workstation(p_workstation))
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;

-- At the commit (deferred constraint trigger on audit_pending): the record into the chain.
CREATE OR REPLACE FUNCTION public.kod_audit_pending() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM public.kod_audit_append(NEW.action, NEW.entity, NEW.entity_id, NEW.details,
                                    NEW.reason, NEW.recipient, NEW.workstation, NEW.user_id,
                                    NEW.username);
    DELETE FROM public.audit_pending p WHERE p.id = NEW.id;
    RETURN NULL;
END
$$;

-- Every row change of the operational tables leaves a record written by the server, with the
-- changed column names (not their values), whatever program sent the statement. Trigger
-- arguments name columns whose change alone is not recorded (position reports, login times).
CREATE OR REPLACE FUNCTION public.kod_audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_new jsonb;
    v_old jsonb;
    v_cols text[];
    v_row jsonb;
    v_details jsonb;
    v_actor record;
BEGIN
    IF current_setting('kod.bulk', true) = 'on' AND public.kod_is_owner() THEN
        RETURN NULL;  -- the owner's bulk load (demo data): one summary record instead
    END IF;
    IF TG_OP = 'UPDATE' THEN
        v_new := to_jsonb(NEW);
        v_old := to_jsonb(OLD);
        SELECT array_agg(n.key ORDER BY n.key) INTO v_cols
          FROM jsonb_each(v_new) n WHERE n.value IS DISTINCT FROM (v_old -> n.key);
        IF v_cols IS NULL THEN
            RETURN NULL;
        END IF;
        IF TG_NARGS > 0 AND v_cols <@ TG_ARGV::text[] THEN
            RETURN NULL;
        END IF;
        v_row := v_new;
        v_details := jsonb_build_object('columns', to_jsonb(v_cols));
    ELSIF TG_OP = 'INSERT' THEN
        v_row := to_jsonb(NEW);
        v_details := '{}'::jsonb;
    ELSE
        v_row := to_jsonb(OLD);
        v_details := '{}'::jsonb;
    END IF;
    IF v_row ? 'key' THEN
        v_details := v_details || jsonb_build_object('key', v_row -> 'key');
    END IF;
    SELECT * INTO v_actor FROM public.kod_actor();
    PERFORM public.kod_audit_append('db.' || lower(TG_OP), TG_TABLE_NAME,
                                    (v_row ->> 'id')::bigint, v_details::text, NULL, NULL,
                                    public.kod_workstation(NULL), v_actor.user_id,
                                    v_actor.username);
    RETURN NULL;
END
$$;

-- Who-columns are the server's: on insert they name the acting person, on update they keep
-- their value ('col'), or name the person who changed them ('+col'); '@col' is the server's
-- time of insertion. The owner (bulk loads, tests acting for a person) is trusted.
CREATE OR REPLACE FUNCTION public.kod_stamp() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_me bigint;
    v_arg text;
    v_col text;
    v_patch jsonb := '{}'::jsonb;
    v_new jsonb := to_jsonb(NEW);
BEGIN
    IF public.kod_is_owner() THEN
        RETURN NEW;
    END IF;
    v_me := public.kod_current_user_id();
    FOREACH v_arg IN ARRAY TG_ARGV LOOP
        v_col := ltrim(v_arg, '+@');
        IF left(v_arg, 1) = '@' THEN
            IF TG_OP = 'INSERT' THEN
                v_patch := v_patch || jsonb_build_object(v_col, now());
            ELSE
                v_patch := v_patch || jsonb_build_object(v_col, to_jsonb(OLD) -> v_col);
            END IF;
        ELSIF TG_OP = 'INSERT' THEN
            IF left(v_arg, 1) <> '+' OR v_new -> v_col <> 'null'::jsonb THEN
                v_patch := v_patch || jsonb_build_object(v_col, v_me);
            END IF;
        ELSIF left(v_arg, 1) = '+' THEN
            IF (v_new -> v_col) IS DISTINCT FROM (to_jsonb(OLD) -> v_col)
               AND v_new -> v_col <> 'null'::jsonb THEN
                v_patch := v_patch || jsonb_build_object(v_col, v_me);
            END IF;
        ELSE
            v_patch := v_patch || jsonb_build_object(v_col, to_jsonb(OLD) -> v_col);
        END IF;
    END LOOP;
    RETURN jsonb_populate_record(NEW, v_patch);
END
$$;

-- The audit log is append-only, even for the owner's own statements: only the prune function
-- may delete (it sets kod.audit_prune for its own transaction), and nobody may change a record.
CREATE OR REPLACE FUNCTION public.kod_audit_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('kod.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Change-feed ids must become visible in increasing order (see app.platform.changefeed). An
-- entry is written with a provisional (negative) id and gets its id at the commit, under the
-- order lock (kod_feed_order), also one sent by hand: a transaction holds the order lock only
-- while it commits, never across a round trip to its client. The wake-up (NOTIFY, with the
-- newest id) goes with it.
CREATE OR REPLACE FUNCTION public.kod_feed_pending() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NEW.id IS NULL OR NEW.id >= 0 THEN
        NEW.id := -nextval('public.kod_pending_id');
    END IF;
    RETURN NEW;
END
$$;

-- Deferred to the commit, once per entry: the transaction's provisional entries get their ids,
-- in the order they were written (the first entry's call does all; the others find theirs done).
CREATE OR REPLACE FUNCTION public.kod_feed_order() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM 1 FROM public.change_feed f WHERE f.id = NEW.id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(4935493);
    -- Materialised: each entry draws its id exactly once (a join may scan a subquery again).
    WITH n AS MATERIALIZED (
        SELECT o.id, nextval(pg_get_serial_sequence('public.change_feed', 'id')) AS final_id
          FROM (SELECT p.id FROM public.change_feed p WHERE p.id < 0 ORDER BY p.id DESC) o
    )
    UPDATE public.change_feed f SET id = n.final_id FROM n WHERE f.id = n.id;
    -- One wake-up per transaction, naming its newest id (the last one just drawn).
    PERFORM pg_notify('kod_changes',
                      currval(pg_get_serial_sequence('public.change_feed', 'id'))::text);
    RETURN NULL;
END
$$;

-- Refuse unless the session's login holds the permission (or owns the schema).
CREATE OR REPLACE FUNCTION public.kod_require(p_permission text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT (public.kod_is_owner() OR public.kod_may(p_permission)) THEN
        RAISE EXCEPTION 'permission denied: %', p_permission
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

-- The newest hash: the anchor to store outside the database (shift report, another machine).
CREATE OR REPLACE FUNCTION public.kod_audit_head() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT a.hash FROM public.audit_log a ORDER BY a.id DESC LIMIT 1
$$;

-- Verify the chain on the server (for roles that may verify but not read the log).
-- p_expect_head: a hash stored earlier; it must still be in the chain.
CREATE OR REPLACE FUNCTION public.kod_audit_verify(p_expect_head text DEFAULT NULL)
RETURNS TABLE (ok boolean, checked bigint, first_broken_id bigint, problem text,
               head_hash text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    r record;
    v_prev text;
    v_first_prev text;
    v_first_id bigint;
    v_anchors text[] := ARRAY[repeat('0', 64)];
    v_found boolean := p_expect_head IS NULL;
    v_anchor text;
BEGIN
    IF NOT (public.kod_is_owner() OR public.kod_may('audit.verify')
            OR public.kod_may('audit.read')) THEN
        RAISE EXCEPTION 'permission denied: audit.verify' USING ERRCODE = 'insufficient_privilege';
    END IF;
    checked := 0;
    FOR r IN SELECT * FROM public.audit_log a ORDER BY a.id LOOP
        checked := checked + 1;
        IF v_first_id IS NULL THEN
            v_first_id := r.id;
            v_first_prev := r.prev_hash;
        END IF;
        IF v_prev IS NOT NULL AND r.prev_hash <> v_prev THEN
            RETURN QUERY SELECT false, checked, r.id, 'chain_link'::text, v_prev;
            RETURN;
        END IF;
        IF public.kod_audit_hash(r.prev_hash, r.occurred_at, r.user_id, r.username, r.action,
                                 r.entity, r.entity_id, r.reason, r.recipient, r.details,
                                 r.workstation) <> r.hash THEN
            RETURN QUERY SELECT false, checked, r.id, 'content'::text, v_prev;
            RETURN;
        END IF;
        IF r.action = 'audit.prune' THEN
            BEGIN
                v_anchor := (r.details::jsonb) ->> 'last_hash';
            EXCEPTION WHEN others THEN
                v_anchor := NULL;
            END;
            IF v_anchor IS NOT NULL THEN
                v_anchors := v_anchors || v_anchor;
            END IF;
        END IF;
        IF NOT v_found AND r.hash = p_expect_head THEN
            v_found := true;
        END IF;
        v_prev := r.hash;
    END LOOP;
    IF v_first_id IS NOT NULL AND NOT (v_first_prev = ANY (v_anchors)) THEN
        RETURN QUERY SELECT false, checked, v_first_id, 'start'::text, v_prev;
        RETURN;
    END IF;
    IF NOT v_found THEN
        RETURN QUERY SELECT false, checked, NULL::bigint, 'head'::text, v_prev;
        RETURN;
    END IF;
    RETURN QUERY SELECT true, checked, NULL::bigint, NULL::text, v_prev;
END
$$;

-- Remove the records past audit.retention_days (at least 30). The prune record comes first and
-- names the hash of the last removed record, which the oldest remaining record points to.
CREATE OR REPLACE FUNCTION public.kod_audit_prune(p_dry_run boolean DEFAULT false)
RETURNS TABLE (removed bigint, cutoff timestamptz, through_id bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_days integer;
    v_last text;
    v_actor record;
BEGIN
    PERFORM public.kod_require('audit.prune');
    PERFORM pg_advisory_xact_lock(4935492);
    SELECT (s.value)::integer INTO v_days FROM public.setting s
     WHERE s.key = 'audit.retention_days';
    v_days := greatest(coalesce(v_days, 730), 30);
    cutoff := date_trunc('microseconds', clock_timestamp()) - make_interval(days => v_days);
    SELECT count(*), max(a.id) INTO removed, through_id
      FROM public.audit_log a WHERE a.occurred_at < cutoff;
    IF p_dry_run OR removed = 0 THEN
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT a.hash INTO v_last FROM public.audit_log a WHERE a.id = through_id;
    SELECT * INTO v_actor FROM public.kod_actor();
    PERFORM public.kod_audit_append(
        'audit.prune', NULL, NULL,
        jsonb_build_object('removed', removed, 'through_id', through_id, 'last_hash', v_last,
                           'cutoff', to_char(cutoff AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00',
                           'retention_days', v_days)::text,
        NULL, NULL, public.kod_workstation(NULL), v_actor.user_id, v_actor.username);
    PERFORM set_config('kod.audit_prune', 'on', true);
    DELETE FROM public.audit_log a WHERE a.id <= through_id;
    PERFORM set_config('kod.audit_prune', 'off', true);
    RETURN NEXT;
END
$$;

-- Who is logged in: account, application role (from the group roles the login belongs to; a
-- directory sync may change them), and whether it is the schema owner.
CREATE OR REPLACE FUNCTION public.kod_whoami()
RETURNS TABLE (user_id bigint, username text, display_name text, role text, active boolean,
               is_owner boolean, roles text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    username := session_user;
    is_owner := public.kod_is_owner();
    roles := public.kod_roles_of(session_user);
    role := CASE WHEN cardinality(roles) = 1 THEN roles[1] END;
    SELECT u.id, u.display_name, u.active INTO user_id, display_name, active
      FROM public.user_account u WHERE u.username = session_user;
    RETURN NEXT;
END
$$;

CREATE OR REPLACE FUNCTION public.kod_check_username(p_username text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_username IS NULL OR p_username !~ '^[a-z0-9][a-z0-9._-]{1,62}$'
       OR p_username ~ '^(pg_|kod_)' OR p_username IN ('public', 'postgres', 'none') THEN
        RAISE EXCEPTION 'user name % is not valid', p_username
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION public.kod_check_verifier(p_verifier text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Only a SCRAM verifier computed on the client: no plain password ever reaches the server.
    IF p_verifier IS NOT NULL AND p_verifier !~ '^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
        RAISE EXCEPTION 'not a SCRAM-SHA-256 verifier' USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

-- A login that only the application knows: may log in, no special attributes, member of nothing
-- but the application's group roles. Only such a login may be taken over by the owner.
CREATE OR REPLACE FUNCTION public.kod_is_plain_login(p_username text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_roles r
         WHERE r.rolname = p_username AND NOT r.rolsuper AND NOT r.rolcreaterole
           AND NOT r.rolcreatedb AND NOT r.rolreplication AND NOT r.rolbypassrls
           AND NOT EXISTS (
               SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                WHERE m.member = r.oid AND g.rolname NOT LIKE 'kod\_%')
           -- Nobody holds its rights, except the field API while a device acts for it.
           AND NOT EXISTS (
               SELECT 1 FROM pg_auth_members m JOIN pg_roles h ON h.oid = m.member
                WHERE m.roleid = r.oid AND h.rolname <> 'kod_field_gateway'))
$$;

-- The field API may take a login (SET ROLE) exactly while it can log in, is a field officer
-- and nothing else, and has a registered device that is not revoked: after the account is
-- disabled or moved to another role the server itself refuses the device, and it works again
-- once that is undone. Called by the functions that change accounts (not granted to anyone).
CREATE OR REPLACE FUNCTION public.kod_field_rebind(p_login text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_bound boolean;
    v_wanted boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = p_login) THEN
        RETURN;
    END IF;
    v_bound := EXISTS (SELECT 1 FROM pg_auth_members m
                         JOIN pg_roles r ON r.oid = m.roleid
                         JOIN pg_roles g ON g.oid = m.member
                        WHERE r.rolname = p_login AND g.rolname = 'kod_field_gateway');
    v_wanted := EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = p_login AND r.rolcanlogin)
        AND public.kod_roles_of(p_login) = ARRAY['field_officer']::text[]
        AND EXISTS (SELECT 1 FROM public.field_device d
                      JOIN public.user_account u ON u.id = d.user_id
                     WHERE u.username = p_login AND d.revoked_at IS NULL);
    IF v_wanted AND NOT v_bound THEN
        EXECUTE format('GRANT %I TO %I', p_login, 'kod_field_gateway');
    ELSIF v_bound AND NOT v_wanted THEN
        EXECUTE format('REVOKE %I FROM %I', p_login, 'kod_field_gateway');
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION public.kod_set_group(p_username text, p_role text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_group text := public.kod_group_of(p_role);
    v_other text;
BEGIN
    IF v_group IS NULL THEN
        RAISE EXCEPTION 'unknown role %', p_role USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR v_other IN SELECT unnest(public.kod_groups()) LOOP
        IF v_other <> v_group AND pg_has_role(p_username, v_other, 'MEMBER') THEN
            EXECUTE format('REVOKE %I FROM %I', v_other, p_username);
        END IF;
    END LOOP;
    EXECUTE format('GRANT %I TO %I', v_group, p_username);
END
$$;

-- Create a person's login (with the group role of its application role) and its account.
-- p_verifier: a SCRAM-SHA-256 verifier, or NULL for a login without a password (a field officer
-- who uses the mobile app). p_directory: the person logs in with the city directory's password;
-- the login becomes a member of kod_directory, which pg_hba.conf sends to LDAP or Kerberos.
CREATE OR REPLACE FUNCTION public.kod_user_add(
    p_username text, p_display_name text, p_role text, p_verifier text,
    p_workstation text DEFAULT NULL, p_directory boolean DEFAULT false) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_owner boolean := public.kod_is_owner();
    v_id bigint;
    v_actor record;
    v_adopted boolean := false;
BEGIN
    PERFORM public.kod_require('user.manage');
    PERFORM public.kod_check_username(p_username);
    PERFORM public.kod_check_verifier(p_verifier);
    IF public.kod_group_of(p_role) IS NULL THEN
        RAISE EXCEPTION 'unknown role %', p_role USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM public.user_account u WHERE u.username = p_username) THEN
        RAISE EXCEPTION 'user % exists', p_username USING ERRCODE = 'unique_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = p_username) THEN
        -- Logins belong to the whole server. The owner may take over a plain application login
        -- left by another database on the same server (demo and test databases); nobody else.
        IF NOT (v_owner AND public.kod_is_plain_login(p_username)) THEN
            RAISE EXCEPTION 'login % exists on the server', p_username
                USING ERRCODE = 'duplicate_object';
        END IF;
        v_adopted := true;
        EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', p_username, p_verifier);
    ELSE
        EXECUTE format('CREATE ROLE %I LOGIN INHERIT PASSWORD %L', p_username, p_verifier);
    END IF;
    PERFORM public.kod_set_group(p_username, p_role);
    IF p_directory THEN
        IF p_verifier IS NOT NULL THEN
            RAISE EXCEPTION 'a directory login has no password of its own'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        EXECUTE format('GRANT kod_directory TO %I', p_username);
    ELSIF pg_has_role(p_username, 'kod_directory', 'MEMBER') THEN
        EXECUTE format('REVOKE kod_directory FROM %I', p_username);
    END IF;
    INSERT INTO public.user_account (username, display_name, role_code, password_hash, active,
                                     failed_logins, created_at, version)
    VALUES (p_username, left(coalesce(nullif(btrim(p_display_name), ''), p_username), 120),
            p_role, NULL, true, 0, date_trunc('microseconds', clock_timestamp()), 1)
    RETURNING id INTO v_id;
    SELECT * INTO v_actor FROM public.kod_actor();
    PERFORM public.kod_audit_append(
        'user.add', 'user', v_id,
        jsonb_build_object('username', p_username, 'role', p_role,
                           'password', p_verifier IS NOT NULL, 'directory', p_directory,
                           'adopted', v_adopted)::text,
        NULL, NULL, public.kod_workstation(p_workstation), v_actor.user_id, v_actor.username);
    RETURN v_id;
END
$$;

-- Disable (NOLOGIN, and every open session of that login ends at once) or enable again.
-- Returns the number of sessions ended.
CREATE OR REPLACE FUNCTION public.kod_user_set_active(
    p_username text, p_active boolean, p_workstation text DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_id bigint;
    v_ended integer := 0;
    v_pid integer;
    v_actor record;
BEGIN
    PERFORM public.kod_require('user.manage');
    SELECT u.id INTO v_id FROM public.user_account u WHERE u.username = p_username;
    IF v_id IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = p_username) THEN
        RAISE EXCEPTION 'no user %', p_username USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT public.kod_is_plain_login(p_username) THEN
        RAISE EXCEPTION 'login % is not an application login', p_username
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT p_active AND p_username = session_user THEN
        RAISE EXCEPTION 'a user cannot disable their own login'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_active THEN
        EXECUTE format('ALTER ROLE %I LOGIN', p_username);
    ELSE
        EXECUTE format('ALTER ROLE %I NOLOGIN', p_username);
    END IF;
    UPDATE public.user_account u SET active = p_active, failed_logins = 0, locked_until = NULL,
           version = u.version + 1
     WHERE u.id = v_id;
    PERFORM public.kod_field_rebind(p_username);
    IF NOT p_active THEN
        -- Needs pg_signal_backend for the owner (README, server set-up). Without it the login
        -- is still disabled; -1 tells the caller that open sessions could not be ended.
        BEGIN
            -- A loop, not one query: the planner may call a function in a WHERE clause on
            -- rows the other conditions would have excluded (the server's own processes).
            FOR v_pid IN SELECT s.pid FROM pg_stat_activity s
                          WHERE s.usename = p_username AND s.pid <> pg_backend_pid() LOOP
                IF pg_terminate_backend(v_pid) THEN
                    v_ended := v_ended + 1;
                END IF;
            END LOOP;
        EXCEPTION WHEN insufficient_privilege THEN
            v_ended := -1;
        END;
    END IF;
    SELECT * INTO v_actor FROM public.kod_actor();
    PERFORM public.kod_audit_append(
        CASE WHEN p_active THEN 'user.enable' ELSE 'user.disable' END, 'user', v_id,
        jsonb_build_object('username', p_username, 'sessions_ended', v_ended)::text,
        NULL, NULL, public.kod_workstation(p_workstation), v_actor.user_id, v_actor.username);
    RETURN v_ended;
END
$$;

-- A new password (a SCRAM verifier): by the administration, or by the person for their own login.
CREATE OR REPLACE FUNCTION public.kod_user_password(
    p_username text, p_verifier text, p_workstation text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_id bigint;
    v_actor record;
BEGIN
    IF NOT (public.kod_is_owner() OR public.kod_may('user.manage')
            OR p_username = session_user) THEN
        RAISE EXCEPTION 'permission denied: user.manage' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_verifier IS NULL THEN
        RAISE EXCEPTION 'no password given' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM public.kod_check_verifier(p_verifier);
    SELECT u.id INTO v_id FROM public.user_account u WHERE u.username = p_username;
    IF v_id IS NULL OR NOT public.kod_is_plain_login(p_username) THEN
        RAISE EXCEPTION 'no user %', p_username USING ERRCODE = 'no_data_found';
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', p_username, p_verifier);
    UPDATE public.user_account u SET failed_logins = 0, locked_until = NULL,
           version = u.version + 1 WHERE u.id = v_id;
    SELECT * INTO v_actor FROM public.kod_actor();
    PERFORM public.kod_audit_append(
        'user.password', 'user', v_id, jsonb_build_object('username', p_username)::text,
        NULL, NULL, public.kod_workstation(p_workstation), v_actor.user_id, v_actor.username);
END
$$;

-- Move a person to another application role (group role).
CREATE OR REPLACE FUNCTION public.kod_user_set_role(
    p_username text, p_role text, p_workstation text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_id bigint;
    v_old text;
    v_actor record;
BEGIN
    PERFORM public.kod_require('user.manage');
    SELECT u.id, u.role_code INTO v_id, v_old FROM public.user_account u
     WHERE u.username = p_username;
    IF v_id IS NULL OR NOT public.kod_is_plain_login(p_username) THEN
        RAISE EXCEPTION 'no user %', p_username USING ERRCODE = 'no_data_found';
    END IF;
    IF p_username = session_user THEN
        RAISE EXCEPTION 'a user cannot change their own role'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM public.kod_set_group(p_username, p_role);
    UPDATE public.user_account u SET role_code = p_role, version = u.version + 1
     WHERE u.id = v_id;
    PERFORM public.kod_field_rebind(p_username);
    SELECT * INTO v_actor FROM public.kod_actor();
    PERFORM public.kod_audit_append(
        'user.role', 'user', v_id,
        jsonb_build_object('username', p_username, 'from', v_old, 'to', p_role)::text,
        NULL, NULL, public.kod_workstation(p_workstation), v_actor.user_id, v_actor.username);
END
$$;

-- Accounts with the state of their logins (for the administration).
CREATE OR REPLACE FUNCTION public.kod_user_list()
RETURNS TABLE (id bigint, username text, display_name text, role text, active boolean,
               can_login boolean, last_login_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM public.kod_require('user.manage');
    RETURN QUERY
        SELECT u.id, u.username::text, u.display_name::text,
               coalesce((public.kod_roles_of(u.username))[1], u.role_code)::text,
               u.active, coalesce(r.rolcanlogin, false), u.last_login_at
          FROM public.user_account u
          LEFT JOIN pg_roles r ON r.rolname = u.username
         ORDER BY u.username;
END
$$;

-- A successful login is recorded (the actor is the login itself).
CREATE OR REPLACE FUNCTION public.kod_login(p_workstation text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    v_actor record;
BEGIN
    SELECT * INTO v_actor FROM public.kod_actor();
    UPDATE public.user_account u SET last_login_at = date_trunc('microseconds', clock_timestamp())
     WHERE u.username = session_user;
    PERFORM public.kod_audit_append('login.success', 'user', v_actor.user_id, '{}', NULL, NULL,
                                    public.kod_workstation(p_workstation), v_actor.user_id,
                                    v_actor.username);
END
$$;

-- Statistics without personal data: the view runs with its owner's rights, so roles that may
-- see statistics need no right on the incidents themselves.
CREATE OR REPLACE VIEW public.kod_incident_statistics AS
    SELECT i.id, i.category, i.priority, i.status, i.stadtteil, i.created_at, i.dispatched_at,
           i.on_scene_at, i.closed_at, i.outcome
      FROM public.incident i;
