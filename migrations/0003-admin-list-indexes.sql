-- Version 3: indexes for the admin list's filters, so a page costs what it reads, not the plan's
-- size. `q` is a prefix of the userName, the display name, the primary email or the domain of
-- either (userName and display name already had their indexes).
CREATE INDEX users_primary_email ON users (primary_email);
CREATE INDEX users_email_domain ON users (substr(primary_email, instr(primary_email, '@') + 1));
CREATE INDEX users_user_name_domain ON users (substr(user_name_key, instr(user_name_key, '@') + 1));
-- The admin list filtered by seat, by status or by both, in creation order: a keyset page reads
-- its page.
DROP INDEX users_seat;
CREATE INDEX users_seat ON users (seat, status, seq);
CREATE INDEX users_seat_order ON users (seat, seq);
CREATE INDEX users_status_order ON users (status, seq);
