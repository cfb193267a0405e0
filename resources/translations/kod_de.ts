<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
    <context>
        <name>categories</name>
        <message>
            <source>Assault on staff</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Helpless person</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Noise</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Dog (unleashed or dangerous)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Aggressive begging</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Youth protection</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Glass ban</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Lakes ordinance (grilling, night)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Disturbance of public order</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Alcohol or drug use in public</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Illegal waste dumping</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Graffiti and fly-posting</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Parking</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Other</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>config</name>
        <message>
            <source>The database address '%1' is not valid. Expected e.g. postgresql://user:password@server:5432/leitstelle or sqlite:///C:/path/file.sqlite.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database address '%1' is malformed: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>A SQLite database needs a file path, e.g. sqlite:///leitstelle.sqlite.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The PostgreSQL address '%1' names no server.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The PostgreSQL address '%1' names no database.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The port %1 is not valid.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database type '%1' is not supported. Use PostgreSQL or SQLite.</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>database</name>
        <message>
            <source>The database file %1 lies on a network share. SQLite cannot lock files safely there and data could be lost. Use a local file, or the shared PostgreSQL server for several workstations.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 is a folder, not a database file.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database file %1 cannot be read: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The file %1 is not a SQLite database or is damaged. It was not changed. Restore it from a backup or choose another file.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The folder for the database %1 cannot be created: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The PostgreSQL server %1 refused the login: user name or password is wrong.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database on %1 does not exist.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The file %1 is not a SQLite database or is damaged.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database file %1 cannot be opened.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database %1 is busy (locked by another program).</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database %1 cannot be reached: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database %1 has not been set up yet. Run: kod-admin db upgrade</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database %1 was set up by a newer version of KOD-Leitstelle (schema %2). Install the newer version on this workstation.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The database %1 has an older schema (%2, needed: %3). Ask the administrator to run: kod-admin db upgrade</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>errors</name>
        <message>
            <source>Your role (%1) is not allowed to do this: %2.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>This record was changed by someone else in the meantime (version %1, you edited version %2). Nothing was overwritten.</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>incident_fields</name>
        <message>
            <source>Category</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Priority</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Address</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Latitude</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Longitude</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Caller</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Phone</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Description</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>District</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>incident_status</name>
        <message>
            <source>New</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Dispatched</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>On scene</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Closed</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>incidents</name>
        <message>
            <source>Latitude and longitude belong together.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The coordinates are not valid.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Unknown category '%1'.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The priority must be 1, 2 or 3.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The description is too long (at most %1 characters).</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The address is too long.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The caller details are too long.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Incident %1 does not exist.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Enter an address or a position for the incident.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Incident opened: %1, priority %2, %3</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>These fields cannot be changed: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1: %2 → %3</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Position changed</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The note is empty.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The note is too long.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Incident %1 is closed. Reopen it first.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 is already assigned to this incident.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 is committed to incident %2.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 has status %2.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 It cannot be assigned.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 Assign it anyway?</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 withdrawn and sent to incident %2.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 assigned (status 3).</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Unit %1 does not exist.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 is not assigned to incident %2.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 on scene (status 4).</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>A released unit gets status 1 or 2.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 released (status %2).</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Choose an outcome to close the incident.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Incident %1 is already closed.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Closed: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Give a reason for reopening.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Incident %1 is not closed.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Reopened (was: %1). Reason: %2</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>outcomes</name>
        <message>
            <source>Resolved on site</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Caution issued (§ 56 OWiG)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Offence report written</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Handed over to the police</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Nothing found</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>False alarm</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Duplicate</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cancelled</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>priorities</name>
        <message>
            <source>1 – urgent</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>2 – normal</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>3 – low</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>roles</name>
        <message>
            <source>Dispatcher</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Shift lead</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Clerk</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Field officer</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Data protection</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Administration</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>settings</name>
        <message>
            <source>%1 must be true or false.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 must be a whole number ≥ 0.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 must be one of: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Unknown setting '%1'. Known: %2</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>unit_status</name>
        <message>
            <source>Urgent request to talk</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Available on radio</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Available at station</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Job accepted, en route</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>On scene</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Request to talk</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Not available</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>EMERGENCY</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>units</name>
        <message>
            <source>Unit %1 does not exist.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>A call sign has 1 to 32 characters.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The call sign %1 exists already.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Unknown status '%1'.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1: status %2 → %3</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The coordinates are not valid.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Incident %1 does not exist.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>There is no open emergency for this unit.</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>users</name>
        <message>
            <source>The user name '%1' is not valid: 2 to 64 letters, digits, dots, hyphens or underscores.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The password must have at least %1 characters.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The user name '%1' is already taken.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>There is no user '%1'.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>User name or password is wrong.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>This account is disabled. Please contact the administration.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Too many failed logins: the account is locked until %1.</source>
            <translation type="unfinished" />
        </message>
    </context>
</TS>
