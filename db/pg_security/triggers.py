"""Row triggers the server runs on the application's tables: audit records, who-columns, guards.

:data:`AUDITED` names the tables whose row changes go to the audit log (``kod_audit_row``),
:data:`STAMPS` the who-columns the server stamps itself (``kod_stamp``); the audit log guards
itself against change and the change feed is written in commit order (``kod_feed_order``).
"""

from __future__ import annotations

from db.pg_security.groups import quote_ident

#: Who-columns the server stamps (see ``kod_stamp`` in functions.sql): ``col`` is set to the
#: acting person on insert and kept on update, ``+col`` names whoever sets it, ``@col`` is the
#: server's time of insertion.
STAMPS: dict[str, tuple[str, ...]] = {
    "incident": ("created_by_id", "@created_at"),
    "journal_entry": ("user_id", "@created_at"),
    "incident_unit": ("assigned_by_id", "+confirmed_by_id"),
    "unit_status_change": ("user_id", "@changed_at"),
    "emergency": ("raised_by_id", "+acknowledged_by_id"),
    "task": ("created_by_id", "@created_at"),
    "report": ("created_by_id",),
    "recording": ("imported_by_id", "@imported_at"),
    "recording_hold": ("created_by_id", "@created_at", "+released_by_id"),
    "recording_bookmark": ("created_by_id", "@created_at"),
    "recording_snapshot": ("created_by_id", "@created_at"),
    "offence_case_event": ("user_id", "@created_at"),
    "field_device": ("created_by_id", "@created_at", "+revoked_by_id"),
    "field_photo": ("created_by_id", "@created_at"),
    "field_ack": ("user_id",),
}

#: Tables whose row changes the server records in the audit log, with the columns whose change
#: alone is not recorded. Append-only logs whose rows name their author (journal, status
#: history) and the change feed and positions are not repeated there.
AUDITED: dict[str, tuple[str, ...]] = {
    "incident": (),
    "incident_unit": (),
    "unit": ("lat", "lon", "position_at", "version"),
    "unit_member": (),
    "emergency": (),
    "task": (),
    "report": (),
    "recording": (),
    "recording_hold": (),
    "recording_bookmark": (),
    "recording_snapshot": (),
    "offence_catalogue_entry": (),
    "offence_case": (),
    "offence_person": (),
    "offence_evidence": (),
    "setting": (),
    "user_account": ("last_login_at", "failed_logins", "locked_until", "version"),
    "role": (),
    # A device's calls and its live link are in the gateway's own audit records.
    "field_device": ("last_seen_at", "connected"),
    "field_photo": (),
    "field_ack": (),
}

#: Tables whose rows each name one file of the recording store (``kod_storage_key_free``: no
#: two rows the same file, so deleting one never removes another's).
STORE_FILES = ("recording", "recording_snapshot")


def trigger_statements() -> list[str]:
    """Audit, stamp, guard and lock triggers (dropped and created again)."""
    statements: list[str] = []
    for table, noise in sorted(AUDITED.items()):
        args = ", ".join(f"'{c}'" for c in noise)
        statements += [
            f"DROP TRIGGER IF EXISTS kod_audit_row ON public.{quote_ident(table)}",
            # Deferred to the commit: the record goes into the chain under the order lock,
            # which a transaction thus takes only at its end (see kod_audit_append).
            f"CREATE CONSTRAINT TRIGGER kod_audit_row AFTER INSERT OR UPDATE OR DELETE "
            f"ON public.{quote_ident(table)} DEFERRABLE INITIALLY DEFERRED "
            f"FOR EACH ROW EXECUTE FUNCTION public.kod_audit_row({args})",
        ]
    for table, columns in sorted(STAMPS.items()):
        args = ", ".join(f"'{c}'" for c in columns)
        statements += [
            f"DROP TRIGGER IF EXISTS kod_stamp ON public.{quote_ident(table)}",
            f"CREATE TRIGGER kod_stamp BEFORE INSERT OR UPDATE ON public.{quote_ident(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION public.kod_stamp({args})",
        ]
    statements += [
        "DROP TRIGGER IF EXISTS kod_audit_guard ON public.audit_log",
        "CREATE TRIGGER kod_audit_guard BEFORE UPDATE OR DELETE ON public.audit_log "
        "FOR EACH ROW EXECUTE FUNCTION public.kod_audit_guard()",
        "DROP TRIGGER IF EXISTS kod_audit_guard_truncate ON public.audit_log",
        "CREATE TRIGGER kod_audit_guard_truncate BEFORE TRUNCATE ON public.audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.kod_audit_guard()",
        *(
            statement
            for table in STORE_FILES
            for statement in (
                f"DROP TRIGGER IF EXISTS kod_storage_key_free ON public.{quote_ident(table)}",
                f"CREATE TRIGGER kod_storage_key_free BEFORE INSERT OR UPDATE OF storage_key "
                f"ON public.{quote_ident(table)} "
                "FOR EACH ROW EXECUTE FUNCTION public.kod_storage_key_free()",
            )
        ),
        # Written like the others (quoted), so that an older schema without the table skips them.
        f"DROP TRIGGER IF EXISTS kod_hold_release_guard ON public.{quote_ident('recording_hold')}",
        f"CREATE TRIGGER kod_hold_release_guard BEFORE UPDATE ON public.{quote_ident('recording_hold')} "
        "FOR EACH ROW EXECUTE FUNCTION public.kod_hold_release_guard()",
        # Until 0019 the feed's writers took the order lock at their insert.
        "DROP TRIGGER IF EXISTS kod_feed_lock ON public.change_feed",
        "DROP FUNCTION IF EXISTS public.kod_feed_lock()",
        # Provisional ids until the commit: the default, and the trigger for ids sent by hand.
        "ALTER TABLE public.change_feed ALTER COLUMN id "
        "SET DEFAULT (-nextval('public.kod_pending_id'))",
        "DROP TRIGGER IF EXISTS kod_feed_pending ON public.change_feed",
        "CREATE TRIGGER kod_feed_pending BEFORE INSERT ON public.change_feed "
        "FOR EACH ROW EXECUTE FUNCTION public.kod_feed_pending()",
        "DROP TRIGGER IF EXISTS kod_feed_order ON public.change_feed",
        "CREATE CONSTRAINT TRIGGER kod_feed_order AFTER INSERT ON public.change_feed "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.kod_feed_order()",
        "DROP TRIGGER IF EXISTS kod_audit_pending ON public.audit_pending",
        "CREATE CONSTRAINT TRIGGER kod_audit_pending AFTER INSERT ON public.audit_pending "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.kod_audit_pending()",
    ]
    return statements
