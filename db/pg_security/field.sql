-- The field interface (fieldapi/): registering a device for an officer lets the field API's
-- login (a member of kod_field_gateway) take that officer's login while it serves the device;
-- revoking the last device of the officer takes it back. Bodies in PL/pgSQL: the tables may be
-- created by a later migration than the one that installs this file.

CREATE OR REPLACE FUNCTION public.kod_field_bind(p_login text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM public.kod_require('field.device');
    IF NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = p_login) THEN
        RAISE EXCEPTION 'the officer % has no server login', p_login
            USING ERRCODE = 'undefined_object';
    END IF;
    IF public.kod_roles_of(p_login) <> ARRAY['field_officer']::text[] THEN
        RAISE EXCEPTION 'a field device can only act for a field officer (%)', p_login
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT pg_has_role('kod_field_gateway', p_login, 'MEMBER') THEN
        EXECUTE format('GRANT %I TO %I', p_login, 'kod_field_gateway');
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION public.kod_field_unbind(p_login text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM public.kod_require('field.device');
    IF EXISTS (SELECT 1 FROM public.field_device d
                 JOIN public.user_account u ON u.id = d.user_id
                WHERE u.username = p_login AND d.revoked_at IS NULL) THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = p_login)
       AND pg_has_role('kod_field_gateway', p_login, 'MEMBER') THEN
        EXECUTE format('REVOKE %I FROM %I', p_login, 'kod_field_gateway');
    END IF;
END
$$;

-- The first thing of every transaction the field API runs for a device, before it takes the
-- officer's login: the device must not be revoked and must be this officer's, whose account is
-- active. So the server refuses a revoked device at once, also while the officer keeps another
-- device (the API's login may still take the officer's login then) and whatever the API still
-- remembers of the device's token.
CREATE OR REPLACE FUNCTION public.kod_field_acting(p_device bigint, p_login text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.field_device d
                     JOIN public.user_account u ON u.id = d.user_id
                    WHERE d.id = p_device AND u.username = p_login
                      AND d.revoked_at IS NULL AND u.active) THEN
        RAISE EXCEPTION 'the field device % may not act for %', p_device, p_login
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN true;
END
$$;

-- The next Meldung number (M-2026-000042) over all reports, although row security shows a
-- field officer only their own. Writers are serialised by the write lock.
CREATE OR REPLACE FUNCTION public.kod_report_next_number(p_year integer) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN (SELECT 'M-' || p_year || '-' || lpad((coalesce(max(
               split_part(r.number, '-', 3)::integer), 0) + 1)::text, 6, '0')
              FROM public.report r
             WHERE r.number LIKE 'M-' || p_year || '-%');
END
$$;
