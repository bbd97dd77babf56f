-- Version 7: users.in_groups and a member's new version are written by the statement that changes
-- the membership (store/groups.rs), one rewrite of each member's row, instead of by a trigger per
-- membership row and then again by the seat rules' version bump. The counts are unchanged.
DROP TRIGGER memberships_counted;
DROP TRIGGER memberships_uncounted;
