-- Version 4: the admin list's last filters answered from indexes. A user's count of group
-- memberships is kept on its row by two triggers, so "pending" (legacy plans: an active,
-- DI-managed, unlicensed user who has not signed in and is in no group) is a test of the row, and
-- the list that hides pending users walks an index of the users it shows.
ALTER TABLE users ADD COLUMN in_groups INTEGER NOT NULL DEFAULT 0;
UPDATE users SET in_groups = (SELECT count(*) FROM memberships AS m WHERE m.user_id = users.id);
CREATE TRIGGER memberships_counted AFTER INSERT ON memberships BEGIN
    UPDATE users SET in_groups = in_groups + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER memberships_uncounted AFTER DELETE ON memberships BEGIN
    UPDATE users SET in_groups = in_groups - 1 WHERE id = OLD.user_id;
END;
CREATE INDEX users_not_pending ON users (seq) WHERE NOT (status = 'active' AND managed_by_directory = 1
    AND is_guest = 0 AND first_sign_in IS NULL AND licensed = 0 AND in_groups = 0);
CREATE INDEX users_not_pending_status ON users (status, seq) WHERE NOT (status = 'active' AND
    managed_by_directory = 1 AND is_guest = 0 AND first_sign_in IS NULL AND licensed = 0 AND in_groups = 0);
CREATE INDEX users_managed_order ON users (managed_by_directory, seq);
