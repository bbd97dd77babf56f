-- Version 6: memberships keyed by the group's and the user's seq instead of their random ids (see
-- schema.sql). The rows are copied over; users.in_groups is unchanged (the same memberships).
DROP TRIGGER memberships_counted;
DROP TRIGGER memberships_uncounted;
CREATE TABLE memberships_by_seq (
    group_seq INTEGER NOT NULL REFERENCES groups (seq) ON DELETE CASCADE,
    user_seq  INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    PRIMARY KEY (group_seq, user_seq)
) WITHOUT ROWID;
INSERT INTO memberships_by_seq (group_seq, user_seq, user_id)
    SELECT g.seq, u.seq, u.id FROM memberships AS m
    JOIN groups AS g ON g.id = m.group_id
    JOIN users AS u ON u.id = m.user_id;
DROP TABLE memberships;
ALTER TABLE memberships_by_seq RENAME TO memberships;
CREATE INDEX memberships_user ON memberships (user_seq, group_seq);
CREATE TRIGGER memberships_counted AFTER INSERT ON memberships BEGIN
    UPDATE users SET in_groups = in_groups + 1 WHERE seq = NEW.user_seq;
END;
CREATE TRIGGER memberships_uncounted AFTER DELETE ON memberships BEGIN
    UPDATE users SET in_groups = in_groups - 1 WHERE seq = OLD.user_seq;
END;
