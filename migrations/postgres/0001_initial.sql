-- caiji schema, PostgreSQL flavour.

CREATE TABLE students (
    id          BIGSERIAL PRIMARY KEY,
    student_no  TEXT      NOT NULL UNIQUE,
    name        TEXT      NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    id_type     TEXT      NOT NULL CHECK (id_type IN ('resident_id','residence_permit','hk_macau_permit','taiwan_permit','passport','foreign_permanent')),
    id_number   TEXT      NOT NULL,
    college     TEXT      NOT NULL,
    major       TEXT      NOT NULL,
    class_name  TEXT      NOT NULL,
    level       TEXT      NOT NULL CHECK (level IN ('associate','bachelor','master','doctor')),
    counselor   TEXT      NOT NULL,
    cohort      INTEGER   NOT NULL,
    gender      TEXT,
    phone       TEXT,
    withdrawn   BOOLEAN   NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX students_college ON students (college, class_name);
CREATE INDEX students_counselor ON students (counselor);

-- Serials are allocated by caiji; the token is the printed code (the key never enters the database).
CREATE TABLE codes (
    serial        BIGINT    PRIMARY KEY,
    student_id    BIGINT    NOT NULL REFERENCES students (id),
    key_id        INTEGER   NOT NULL,
    token         TEXT      NOT NULL UNIQUE,
    status        TEXT      NOT NULL CHECK (status IN ('active','revoked')),
    issued_at     TIMESTAMP NOT NULL,
    revoked_at    TIMESTAMP,
    revoke_reason TEXT,
    replaced_by   BIGINT    REFERENCES codes (serial)
);
CREATE UNIQUE INDEX codes_one_active ON codes (student_id) WHERE status = 'active';
CREATE INDEX codes_student ON codes (student_id);

CREATE TABLE sessions (
    id          BIGSERIAL PRIMARY KEY,
    title       TEXT      NOT NULL,
    location    TEXT      NOT NULL,
    starts_at   TIMESTAMP NOT NULL,
    ends_at     TIMESTAMP NOT NULL,
    capacity    INTEGER   NOT NULL CHECK (capacity > 0),
    stations    INTEGER   NOT NULL DEFAULT 1 CHECK (stations > 0),
    makeup      BOOLEAN   NOT NULL DEFAULT FALSE,
    checked_in  INTEGER   NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (checked_in <= capacity)
);

CREATE TABLE assignments (
    session_id  BIGINT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    student_id  BIGINT    NOT NULL REFERENCES students (id),
    assigned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, student_id)
);
CREATE INDEX assignments_student ON assignments (student_id);

CREATE TABLE checkins (
    session_id    BIGINT    NOT NULL REFERENCES sessions (id),
    student_id    BIGINT    NOT NULL REFERENCES students (id),
    shot          INTEGER   NOT NULL CHECK (shot > 0),
    station       TEXT      NOT NULL,
    operator      TEXT      NOT NULL,
    walk_in       BOOLEAN   NOT NULL DEFAULT FALSE,
    checked_in_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, student_id),
    UNIQUE (session_id, shot)
);
CREATE INDEX checkins_student ON checkins (student_id);

CREATE TABLE photos (
    id          BIGSERIAL PRIMARY KEY,
    path        TEXT      NOT NULL UNIQUE,
    student_id  BIGINT    REFERENCES students (id),
    size        BIGINT    NOT NULL,
    mtime       BIGINT    NOT NULL,
    sha256      TEXT      NOT NULL,
    width       INTEGER,
    height      INTEGER,
    status      TEXT      NOT NULL CHECK (status IN ('valid','invalid','duplicate','orphan')),
    problems    TEXT      NOT NULL DEFAULT '',
    spec        TEXT      NOT NULL DEFAULT '',
    checked_at  TIMESTAMP NOT NULL
);
CREATE INDEX photos_student ON photos (student_id);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    operator    TEXT      NOT NULL,
    action      TEXT      NOT NULL,
    student_no  TEXT,
    detail      TEXT      NOT NULL DEFAULT ''
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
