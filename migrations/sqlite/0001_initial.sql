-- caiji schema, SQLite flavour. Times are stored as 'YYYY-MM-DD HH:MM:SS' text (local time).

CREATE TABLE students (
    id          INTEGER PRIMARY KEY,
    student_no  TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    id_type     TEXT    NOT NULL CHECK (id_type IN ('resident_id','residence_permit','hk_macau_permit','taiwan_permit','passport','foreign_permanent')),
    id_number   TEXT    NOT NULL,
    college     TEXT    NOT NULL,
    major       TEXT    NOT NULL,
    class_name  TEXT    NOT NULL,
    level       TEXT    NOT NULL CHECK (level IN ('associate','bachelor','master','doctor')),
    counselor   TEXT    NOT NULL,
    cohort      INTEGER NOT NULL,
    gender      TEXT,
    phone       TEXT,
    withdrawn   INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX students_college ON students (college, class_name);
CREATE INDEX students_counselor ON students (counselor);

-- Collection codes. The serial is the code's public number, allocated by caiji (not by the
-- engine) so a batch of codes can be encrypted before it is inserted. The token is the printed
-- code itself: storing it keeps each student's QR the same every time it is shown; the key that
-- makes and verifies tokens never enters the database.
CREATE TABLE codes (
    serial        INTEGER PRIMARY KEY,
    student_id    INTEGER NOT NULL REFERENCES students (id),
    key_id        INTEGER NOT NULL,
    token         TEXT    NOT NULL UNIQUE,
    status        TEXT    NOT NULL CHECK (status IN ('active','revoked')),
    issued_at     TEXT    NOT NULL,
    revoked_at    TEXT,
    revoke_reason TEXT,
    replaced_by   INTEGER REFERENCES codes (serial)
);
CREATE UNIQUE INDEX codes_one_active ON codes (student_id) WHERE status = 'active';
CREATE INDEX codes_student ON codes (student_id);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL,
    location    TEXT    NOT NULL,
    starts_at   TEXT    NOT NULL,
    ends_at     TEXT    NOT NULL,
    capacity    INTEGER NOT NULL CHECK (capacity > 0),
    stations    INTEGER NOT NULL DEFAULT 1 CHECK (stations > 0),
    makeup      INTEGER NOT NULL DEFAULT 0 CHECK (makeup IN (0, 1)),
    -- number of check-ins so far; also the last shot number handed out
    checked_in  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (checked_in <= capacity)
);

CREATE TABLE assignments (
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    student_id  INTEGER NOT NULL REFERENCES students (id),
    assigned_at TEXT    NOT NULL,
    PRIMARY KEY (session_id, student_id)
);
CREATE INDEX assignments_student ON assignments (student_id);

CREATE TABLE checkins (
    session_id    INTEGER NOT NULL REFERENCES sessions (id),
    student_id    INTEGER NOT NULL REFERENCES students (id),
    shot          INTEGER NOT NULL CHECK (shot > 0),
    station       TEXT    NOT NULL,
    operator      TEXT    NOT NULL,
    walk_in       INTEGER NOT NULL DEFAULT 0 CHECK (walk_in IN (0, 1)),
    checked_in_at TEXT    NOT NULL,
    PRIMARY KEY (session_id, student_id),
    UNIQUE (session_id, shot)
);
CREATE INDEX checkins_student ON checkins (student_id);

CREATE TABLE photos (
    id          INTEGER PRIMARY KEY,
    path        TEXT    NOT NULL UNIQUE,
    student_id  INTEGER REFERENCES students (id),
    size        INTEGER NOT NULL,
    mtime       INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,
    width       INTEGER,
    height      INTEGER,
    status      TEXT    NOT NULL CHECK (status IN ('valid','invalid','duplicate','orphan')),
    -- JSON array of the spec problems (empty: none), kept whatever the status
    problems    TEXT    NOT NULL DEFAULT '',
    -- the spec the problems were judged by (size/mtime cache is valid only for the same spec)
    spec        TEXT    NOT NULL DEFAULT '',
    checked_at  TEXT    NOT NULL
);
CREATE INDEX photos_student ON photos (student_id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    operator    TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    student_no  TEXT,
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_student ON audit_log (student_no);
CREATE INDEX audit_at ON audit_log (at);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Rows locked (SELECT ... FOR UPDATE) to run whole-roster operations one at a time across stations.
CREATE TABLE locks (
    name TEXT PRIMARY KEY
);
INSERT INTO locks (name) VALUES ('roster'), ('codes'), ('sessions'), ('photos');
