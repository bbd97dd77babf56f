-- Version 8: a user's group count, and what its membership changes add to its version and its
-- lastModified, move from its row to user_groups (see schema.sql). users.in_groups becomes 0 or 1:
-- whether the user is in any group. Versions and lastModified as clients see them are unchanged: the
-- counted versions stay in users.version, and changed_at starts at the row's lastModified.
CREATE TABLE user_groups (
    user_seq      INTEGER PRIMARY KEY REFERENCES users (seq) ON DELETE CASCADE,
    member_of     INTEGER NOT NULL,
    version_bumps INTEGER NOT NULL,
    changed_at    TEXT NOT NULL
);
INSERT INTO user_groups (user_seq, member_of, version_bumps, changed_at)
    SELECT seq, in_groups, 0, last_modified FROM users WHERE in_groups > 0;
UPDATE users SET in_groups = 1 WHERE in_groups > 1;
