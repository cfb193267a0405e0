"""Platform: database, unit of work, audit chain, change feed, outbox, errors, i18n, permissions."""
