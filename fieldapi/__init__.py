"""The field interface: an HTTP API (FastAPI on uvicorn) for the officers' devices.

Another face on the same ``app/`` services as the workstation, without Qt: every write goes
through a service with the device's officer as the actor, so the permission matrix, the audit
log and the change feed hold as at the desk. On PostgreSQL the API logs in with its own login
and acts for the officer (:mod:`app.platform.acting`). ``kod-field-api`` starts it.
"""
