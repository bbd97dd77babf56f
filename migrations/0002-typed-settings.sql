-- Version 1 -> 2: settings typed (a string stays a string, null clears), the process state that
-- version 1 kept as `state.*` text rows moved to the typed one-row plan_state table, and the record
-- of a refused SCIM re-creation of a user deleted through SCIM, and of a held downgrade of a plan user.
ALTER TABLE users ADD COLUMN recreate_refused_at TEXT;
ALTER TABLE users ADD COLUMN downgrade_held INTEGER NOT NULL DEFAULT 0;

CREATE TABLE settings_typed (
    key   TEXT PRIMARY KEY,
    value ANY
) STRICT;
INSERT INTO settings_typed (key, value)
SELECT key, CASE
    WHEN key IN ('di_enabled', 'auto_upgrade', 'enforce_domains') THEN (value = 'true')
    WHEN key IN ('provisional_review_days', 'deprovision_guard.max', 'deprovision_guard.window_minutes')
        THEN CAST(value AS INTEGER)
    WHEN key = 'member_seat_limit' THEN CASE WHEN value IN ('none', '') THEN NULL ELSE CAST(value AS INTEGER) END
    WHEN key = 'role_group_prefix' THEN CASE WHEN value IN ('none', '') THEN NULL ELSE value END
    ELSE value
END
FROM settings WHERE key NOT LIKE 'state.%';

CREATE TABLE plan_state (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    initialised_at       TEXT,
    di_changed_at        TEXT,
    guard_tripped        INTEGER NOT NULL DEFAULT 0 CHECK (guard_tripped IN (0, 1)),
    guard_reset_at       INTEGER,
    guard_reset_after_id INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO plan_state (id, initialised_at, di_changed_at, guard_tripped, guard_reset_at, guard_reset_after_id)
VALUES (
    1,
    (SELECT value FROM settings WHERE key = 'state.initialised_at'),
    (SELECT value FROM settings WHERE key = 'state.di_changed_at'),
    COALESCE((SELECT value = 'true' FROM settings WHERE key = 'state.deprovision_guard_tripped'), 0),
    (SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'state.deprovision_guard_reset_at'),
    COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'state.deprovision_guard_reset_after_id'), 0)
);

DROP TABLE settings;
ALTER TABLE settings_typed RENAME TO settings;

-- Tokens may have the scope `metrics` (a Prometheus scrape job): the CHECK is widened.
CREATE TABLE tokens_v2 (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    scope      TEXT NOT NULL CHECK (scope IN ('scim', 'admin', 'metrics')),
    hash       BLOB NOT NULL,
    created    TEXT NOT NULL,
    last_used  TEXT,
    revoked    TEXT
);
INSERT INTO tokens_v2 (id, name, scope, hash, created, last_used, revoked)
    SELECT id, name, scope, hash, created, last_used, revoked FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v2 RENAME TO tokens;
