-- Version 3: the admin list's `q` is a prefix of the userName, the display name, the primary email
-- or the domain of either, each answered from an index (userName and display name already
-- had theirs), so a search costs what it finds, not the plan's size.
CREATE INDEX users_primary_email ON users (primary_email);
CREATE INDEX users_email_domain ON users (substr(primary_email, instr(primary_email, '@') + 1));
CREATE INDEX users_user_name_domain ON users (substr(user_name_key, instr(user_name_key, '@') + 1));
