"""The PostgreSQL group roles of the application and the SQL functions that say who is in which.

Each application role of :data:`db.access.MATRIX` is one group role; person logins are members
of one each. :func:`matrix_functions` writes the matrix into the server's own functions
(``kod_may``, ``kod_roles_of``, ``kod_acting_login``), so the server answers "may this login do
that" without asking the client. The quoting helpers are shared by the other generators.
"""

from __future__ import annotations

from db.access import MATRIX, Permission, Role

#: The PostgreSQL group role of each application role.
GROUPS: dict[Role, str] = {role: f"kod_{role.value}" for role in Role}
#: Members log in with the directory's password: pg_hba.conf sends ``+kod_directory`` to LDAP
#: (or Kerberos). It grants nothing.
DIRECTORY_GROUP = "kod_directory"
#: The field API's own login is a member: it reads the registered devices and, for a device's
#: officer, takes that officer's login (``SET ROLE``) once a registration granted it
#: (``kod_field_bind`` in field.sql). It is no application role and holds no operational right.
GATEWAY_GROUP = "kod_field_gateway"


def all_groups() -> list[str]:
    """Every group role the application grants privileges to (the roles' and the gateway's)."""
    return [*GROUPS.values(), GATEWAY_GROUP]


def holders(permission: Permission) -> list[str]:
    """The group roles holding ``permission``."""
    return sorted(GROUPS[r] for r in MATRIX[permission])


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """``value`` as a quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def matrix_functions() -> list[str]:
    """SQL functions whose body is the matrix itself (created before functions.sql)."""
    may_cases = "\n".join(
        f"        WHEN {quote_literal(p.value)} THEN "
        + (
            " OR ".join(
                f"pg_has_role(public.kod_acting_login(), {quote_literal(g)}, 'MEMBER')"
                for g in holders(p)
            )
            or "false"
        )
        for p in Permission
    )
    group_cases = "\n".join(
        f"        WHEN {quote_literal(r.value)} THEN {quote_literal(g)}" for r, g in GROUPS.items()
    )
    groups = ", ".join(quote_literal(g) for g in GROUPS.values())
    roles_of = ", ".join(
        f"CASE WHEN pg_has_role(p_login, {quote_literal(g)}, 'MEMBER') THEN {quote_literal(r.value)} END"
        for r, g in GROUPS.items()
    )
    head = "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"
    return [
        "CREATE OR REPLACE FUNCTION public.kod_group_of(p_role text) RETURNS text\n"
        f"LANGUAGE sql IMMUTABLE AS $$\n    SELECT CASE p_role\n{group_cases}\n    END\n$$",
        "CREATE OR REPLACE FUNCTION public.kod_groups() RETURNS text[]\n"
        f"LANGUAGE sql IMMUTABLE AS $$ SELECT ARRAY[{groups}]::text[] $$",
        # An account may have no server login (a field officer who only uses the mobile app).
        "CREATE OR REPLACE FUNCTION public.kod_roles_of(p_login text) RETURNS text[]\n"
        f"{head.replace('sql', 'plpgsql', 1)} AS $$\nBEGIN\n"
        "    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login) THEN\n"
        "        RETURN ARRAY[]::text[];\n    END IF;\n"
        f"    RETURN array_remove(ARRAY[{roles_of}]::text[], NULL);\nEND\n$$",
        # Who acts: the session's login, or (the field API) the officer of a registered device.
        "CREATE OR REPLACE FUNCTION public.kod_acting_login() RETURNS text\n"
        f"{head.replace('sql', 'plpgsql', 1)} AS $$\n{_login_body()}\n$$",
        "CREATE OR REPLACE FUNCTION public.kod_may(p_permission text) RETURNS boolean\n"
        f"{head} AS $$\n    SELECT coalesce(CASE p_permission\n{may_cases}\n    END, false)\n$$",
    ]


#: The field API's login (a member of :data:`GATEWAY_GROUP`) names the officer it acts for in
#: ``kod.actor`` and takes that officer's login with ``SET ROLE``; the name counts only for an
#: officer whose login was granted to the gateway by a device registration and who is a field
#: officer and nothing else. For every other session the client's word is ignored.
def _login_body() -> str:
    return f"""DECLARE
    v text := coalesce(current_setting('kod.actor', true), '');
BEGIN
    IF v <> '' AND v <> session_user
       AND pg_has_role(session_user, {quote_literal(GATEWAY_GROUP)}, 'MEMBER')
       AND EXISTS (SELECT 1 FROM pg_auth_members m
                     JOIN pg_roles r ON r.oid = m.roleid
                     JOIN pg_roles g ON g.oid = m.member
                    WHERE r.rolname = v AND g.rolname = {quote_literal(GATEWAY_GROUP)})
       AND public.kod_roles_of(v) = ARRAY[{quote_literal(Role.FIELD_OFFICER.value)}]::text[] THEN
        RETURN v;
    END IF;
    RETURN session_user;
END"""
