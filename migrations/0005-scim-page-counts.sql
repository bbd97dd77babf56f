-- Version 5: a SCIM list page costs its page, not the plan. One row keeps how many users SCIM
-- sees (neither guests nor deleted over SCIM: an unfiltered list's totalResults) and a count that
-- moves whenever the order of those users changes other than by a newest user joining at its end
-- (one leaving, or joining before others). While that count stays the same, the user at a
-- position of the list stays there, so the next page starts from where the last one ended
-- instead of skipping every earlier user (store::users::Positions).
CREATE TABLE scim_visible (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    users    INTEGER NOT NULL,
    reshaped INTEGER NOT NULL
) STRICT;
INSERT INTO scim_visible (id, users, reshaped)
    VALUES (1, (SELECT count(*) FROM users WHERE is_guest = 0 AND scim_deleted = 0), 0);
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
