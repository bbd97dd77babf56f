-- scim-seat schema, version 8 (PRAGMA user_version = 8).
--
-- This file is the whole current schema. store/migrate.rs applies it to a new database and sets
-- user_version; later changes are numbered migrations in store/migrate.rs that bring an older file
-- up to date. Times are RFC 3339 UTC text ("2026-11-23T10:00:00.123Z"), which sorts correctly.

-- Users provisioned by SCIM, and guests added by an administrator.
-- `doc` is the canonical SCIM document (core attributes at top level, the enterprise extension under
-- its URN); the columns beside it are what indexes, seats and the admin view need.
CREATE TABLE users (
    id                   TEXT PRIMARY KEY,             -- the SCIM id (UUID v7: time, then random)
    seq                  INTEGER NOT NULL UNIQUE,      -- creation order (MAX+1): stable paging order
    user_name            TEXT NOT NULL,
    user_name_key        TEXT NOT NULL,                -- user_name case-folded (the SCIM filter's fold)
    external_id          TEXT,
    display_name         TEXT,
    display_key          TEXT,                         -- display_name case-folded
    primary_email        TEXT,                         -- lowercased; the admin view and reports
    doc                  TEXT NOT NULL,                -- canonical SCIM JSON
    version              INTEGER NOT NULL DEFAULT 1,   -- meta.version (weak ETag W/"n")
    status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    seat                 TEXT CHECK (seat IN ('viewer', 'provisional_member', 'member', 'no_access', 'guest')),
    licensed             INTEGER NOT NULL DEFAULT 0,   -- legacy plans: licensed / unlicensed
    is_guest             INTEGER NOT NULL DEFAULT 0,
    managed_by_directory INTEGER NOT NULL DEFAULT 1,
    manual_seat          INTEGER NOT NULL DEFAULT 0,   -- an admin set the seat since the last update call
    scim_deleted         INTEGER NOT NULL DEFAULT 0,   -- SCIM DELETE with deprovision=deactivate: 404 to SCIM
    provisional_until    INTEGER,                      -- unix seconds
    first_sign_in        INTEGER,                      -- unix seconds
    created              TEXT NOT NULL,
    last_modified        TEXT NOT NULL,
    recreate_refused_at  TEXT,                         -- first refused SCIM re-create of a SCIM-deleted user
    downgrade_held       INTEGER NOT NULL DEFAULT 0,   -- the IdP's first write asked for less; held (match_downgrade)
    in_groups            INTEGER NOT NULL DEFAULT 0    -- 1 when it is in any group (store/groups.rs)
);
CREATE UNIQUE INDEX users_user_name ON users (user_name_key);
CREATE INDEX users_external_id ON users (external_id);
CREATE INDEX users_display_name ON users (display_key);
CREATE INDEX users_seat ON users (seat, status, seq);
-- The admin list's `q`: a prefix of the primary email, or of its domain or the userName's
-- (userName and display name use the two indexes above).
CREATE INDEX users_primary_email ON users (primary_email);
CREATE INDEX users_email_domain ON users (substr(primary_email, instr(primary_email, '@') + 1));
CREATE INDEX users_user_name_domain ON users (substr(user_name_key, instr(user_name_key, '@') + 1));
-- The admin list filtered by seat, by status (users_seat: by both) in creation order: a keyset
-- page reads its page.
CREATE INDEX users_seat_order ON users (seat, seq);
CREATE INDEX users_status_order ON users (status, seq);
-- The admin list filtered by DI-managed or not, in creation order.
CREATE INDEX users_managed_order ON users (managed_by_directory, seq);
-- The users the admin list shows on a legacy plan unless asked for pending users too: every user
-- but the pending ones (domain::rules::is_pending: active, DI-managed, not a guest, never signed
-- in, unlicensed and in no group). store::users::NOT_PENDING is this WHERE clause, word for word,
-- so the list's query can use the index.
CREATE INDEX users_not_pending ON users (seq) WHERE NOT (status = 'active' AND managed_by_directory = 1
    AND is_guest = 0 AND first_sign_in IS NULL AND licensed = 0 AND in_groups = 0);
CREATE INDEX users_not_pending_status ON users (status, seq) WHERE NOT (status = 'active' AND
    managed_by_directory = 1 AND is_guest = 0 AND first_sign_in IS NULL AND licensed = 0 AND in_groups = 0);
-- SCIM-visible users in creation order, covering: paging skips OFFSET rows inside the index only.
CREATE INDEX users_scim_order ON users (seq, id) WHERE is_guest = 0 AND scim_deleted = 0;

-- How many users SCIM sees (an unfiltered list's totalResults) and a count that moves whenever
-- their order changes other than by a newest user joining at its end: while it stays the same, a
-- position in the list holds the same user, so a page starts where the last one ended
-- (store::users::Positions) instead of skipping every user before it.
CREATE TABLE scim_visible (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    users    INTEGER NOT NULL,
    reshaped INTEGER NOT NULL
) STRICT;
INSERT INTO scim_visible (id, users, reshaped) VALUES (1, 0, 0);
CREATE TRIGGER users_visible_joined AFTER INSERT ON users
    WHEN NEW.is_guest = 0 AND NEW.scim_deleted = 0 BEGIN
    UPDATE scim_visible SET users = users + 1,
        reshaped = reshaped + EXISTS (SELECT 1 FROM users WHERE seq > NEW.seq) WHERE id = 1;
END;
CREATE TRIGGER users_visible_left AFTER DELETE ON users
    WHEN OLD.is_guest = 0 AND OLD.scim_deleted = 0 BEGIN
    UPDATE scim_visible SET users = users - 1, reshaped = reshaped + 1 WHERE id = 1;
END;
CREATE TRIGGER users_visible_changed AFTER UPDATE OF is_guest, scim_deleted ON users
    WHEN (OLD.is_guest = 0 AND OLD.scim_deleted = 0) != (NEW.is_guest = 0 AND NEW.scim_deleted = 0) BEGIN
    UPDATE scim_visible SET users = users + (CASE WHEN NEW.is_guest = 0 AND NEW.scim_deleted = 0
        THEN 1 ELSE -1 END), reshaped = reshaped + 1 WHERE id = 1;
END;

-- Every email value of a user, lowercased: `emails.value eq` is answered from here.
CREATE TABLE user_emails (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value   TEXT NOT NULL,
    PRIMARY KEY (value, user_id)
) WITHOUT ROWID;
CREATE INDEX user_emails_user ON user_emails (user_id);

-- Role values a user holds through the SCIM `roles` attribute (group-carried roles are derived from
-- memberships). `value` is as sent; the role it resolves to is computed from role_mappings.
CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value   TEXT NOT NULL,
    PRIMARY KEY (user_id, value)
) WITHOUT ROWID;

-- SCIM groups. Members live in memberships so a change costs O(changed members).
CREATE TABLE groups (
    id            TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    display_key   TEXT NOT NULL,                       -- display_name case-folded
    external_id   TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created       TEXT NOT NULL,
    last_modified TEXT NOT NULL
);
CREATE UNIQUE INDEX groups_display_name ON groups (display_key);
CREATE INDEX groups_external_id ON groups (external_id);

-- Version 6: a membership is keyed by the group's and the user's seq (creation order), not their
-- random ids, so members added together land together in both orders (a group's members, a user's
-- groups) and the entries are small; user_id is kept beside them (ids never change) so reading a
-- group's member ids needs no users lookup.
CREATE TABLE memberships (
    group_seq INTEGER NOT NULL REFERENCES groups (seq) ON DELETE CASCADE,
    user_seq  INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    PRIMARY KEY (group_seq, user_seq)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_seq, group_seq);

-- Version 8: what a membership change writes for each member, apart from the member's row: how many
-- groups it is in, how many versions its membership changes gave it (meta.version is
-- users.version + version_bumps) and when its memberships last changed (meta.lastModified is the
-- later of this and users.last_modified). A group change of 5,000 members rewrote 5,000 user rows
-- (each with its document; every page of them went to the WAL); these rows are 20-odd bytes. The
-- statements that change memberships write them (store/groups.rs), and users.in_groups only when a
-- member's first group comes or its last goes. A user's row here goes with it when it is deleted.
CREATE TABLE user_groups (
    user_seq      INTEGER PRIMARY KEY REFERENCES users (seq) ON DELETE CASCADE,
    member_of     INTEGER NOT NULL,                    -- its memberships
    version_bumps INTEGER NOT NULL,                    -- versions its membership changes added
    changed_at    TEXT NOT NULL                        -- when its memberships last changed
);

CREATE TABLE role_mappings (
    name           TEXT PRIMARY KEY,
    mapping_values TEXT NOT NULL,
    variable_name  TEXT NOT NULL,
    seat           TEXT NOT NULL CHECK (seat IN ('viewer', 'member')),
    admin_rights   TEXT NOT NULL,
    position       INTEGER NOT NULL
);

-- Plan settings, one row per key; a missing key holds its default (domain::seats::Settings). The
-- value keeps the type its key takes: 0/1 for booleans, integers, text, NULL for none.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value ANY
) STRICT;

-- The plan's own state, one row: when `init` ran, when DI last switched, the deprovision guard's
-- breaker (tripped, last reset, and the last deprovision before it, after which they count again).
CREATE TABLE plan_state (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    initialised_at       TEXT,
    di_changed_at        TEXT,
    guard_tripped        INTEGER NOT NULL DEFAULT 0 CHECK (guard_tripped IN (0, 1)),
    guard_reset_at       INTEGER,
    guard_reset_after_id INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO plan_state (id) VALUES (1);

-- Validated domains: a SCIM create must use one (unless enforce_domains is off).
CREATE TABLE domains (
    name     TEXT PRIMARY KEY COLLATE NOCASE,
    verified INTEGER NOT NULL DEFAULT 0,
    created  TEXT NOT NULL
);

-- Bearer tokens. Only the SHA-256 of the secret is kept; the secret is shown once at creation.
CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    scope      TEXT NOT NULL CHECK (scope IN ('scim', 'admin', 'metrics')),
    hash       BLOB NOT NULL,
    created    TEXT NOT NULL,
    last_used  TEXT,
    revoked    TEXT
);

-- One row per change of a user's seat or status (and other administrative acts), written in the
-- same transaction as the change.
CREATE TABLE audit (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,                       -- token name, 'cli' or 'system'
    source        TEXT NOT NULL CHECK (source IN ('scim', 'admin', 'cli', 'system')),
    action        TEXT NOT NULL,
    user_id       TEXT,
    before_seat   TEXT,
    before_status TEXT,
    after_seat    TEXT,
    after_status  TEXT,
    reason        TEXT,
    request_id    TEXT
);
CREATE INDEX audit_user ON audit (user_id, id);

-- SCIM deprovisioning (deactivations and deletes) for the deprovision guard's sliding window.
CREATE TABLE deprovisions (
    id      INTEGER PRIMARY KEY,
    at_unix INTEGER NOT NULL,
    user_id TEXT NOT NULL
);
CREATE INDEX deprovisions_at ON deprovisions (at_unix);
