-- no-transaction
-- The students table again, with the same rules. SQLite evaluates a CHECK written as
-- `column IN ('a', 'b', …)` by building a throw-away lookup table for every row it writes, which
-- made a 100,000-row import spend a third of its time on three checks. The rules are now plain
-- comparisons, which SQLite evaluates in place.
--
-- The rebuild follows SQLite's documented procedure for table changes ALTER TABLE cannot make:
-- foreign keys off (only possible outside a transaction, hence no-transaction above), then one
-- transaction that copies the rows, swaps the tables and recreates the indexes. Rows keep their
-- ids, so codes, assignments, check-ins and photos still point at the same students.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE students_rebuilt (
    id          INTEGER PRIMARY KEY,
    student_no  TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    id_type     TEXT    NOT NULL CHECK (id_type = 'resident_id' OR id_type = 'residence_permit'
                                        OR id_type = 'hk_macau_permit' OR id_type = 'taiwan_permit'
                                        OR id_type = 'passport' OR id_type = 'foreign_permanent'),
    id_number   TEXT    NOT NULL,
    college     TEXT    NOT NULL,
    major       TEXT    NOT NULL,
    class_name  TEXT    NOT NULL,
    level       TEXT    NOT NULL CHECK (level = 'associate' OR level = 'bachelor' OR level = 'master'
                                        OR level = 'doctor'),
    counselor   TEXT    NOT NULL,
    cohort      INTEGER NOT NULL,
    gender      TEXT,
    phone       TEXT,
    withdrawn   INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn = 0 OR withdrawn = 1),
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
INSERT INTO students_rebuilt (id, student_no, name, id_type, id_number, college, major, class_name, level,
                              counselor, cohort, gender, phone, withdrawn, created_at, updated_at)
SELECT id, student_no, name, id_type, id_number, college, major, class_name, level,
       counselor, cohort, gender, phone, withdrawn, created_at, updated_at
FROM students;
DROP TABLE students;
ALTER TABLE students_rebuilt RENAME TO students;
CREATE INDEX students_college ON students (college, class_name);
CREATE INDEX students_counselor ON students (counselor);
COMMIT;
PRAGMA foreign_keys = ON;
