-- One length rule per field (src/domain/lengths.rs, docs/roster.md "Field lengths"): the
-- validator accepts up to 100 characters in a 辅导员 cell, as in 学院, 专业 and 班级, and this
-- column was 50 wide, so a longer counselor failed a whole import on MariaDB with "Data too long"
-- while PostgreSQL and SQLite (TEXT) stored it. The column now holds what the validator accepts.
ALTER TABLE students MODIFY counselor VARCHAR(100) NOT NULL;
