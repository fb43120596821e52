-- caiji schema, MySQL 8 / MariaDB 10.6+ flavour. utf8mb4 throughout so every Han character fits.

CREATE TABLE students (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    student_no  VARCHAR(32)  NOT NULL,
    name        VARCHAR(50)  NOT NULL,
    id_type     VARCHAR(20)  NOT NULL,
    id_number   VARCHAR(32)  NOT NULL,
    college     VARCHAR(100) NOT NULL,
    major       VARCHAR(100) NOT NULL,
    class_name  VARCHAR(100) NOT NULL,
    level       VARCHAR(12)  NOT NULL,
    counselor   VARCHAR(50)  NOT NULL,
    cohort      INT          NOT NULL,
    gender      VARCHAR(8),
    phone       VARCHAR(32),
    withdrawn   BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at  DATETIME     NOT NULL,
    updated_at  DATETIME     NOT NULL,
    UNIQUE KEY students_no (student_no),
    KEY students_college (college, class_name),
    KEY students_counselor (counselor),
    CONSTRAINT students_name_len CHECK (CHAR_LENGTH(name) BETWEEN 1 AND 50),
    CONSTRAINT students_id_type CHECK (id_type IN ('resident_id','residence_permit','hk_macau_permit','taiwan_permit','passport','foreign_permanent')),
    CONSTRAINT students_level CHECK (level IN ('associate','bachelor','master','doctor'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Serials are allocated by caiji; the token is the printed code (the key never enters the database).
-- MySQL has no partial indexes: a generated column that is the student id only while the code
-- is active carries the "one active code per student" rule (NULLs do not collide).
CREATE TABLE codes (
    serial         BIGINT      NOT NULL PRIMARY KEY,
    student_id     BIGINT      NOT NULL,
    key_id         INT         NOT NULL,
    token          VARCHAR(200) NOT NULL,
    status         VARCHAR(8)  NOT NULL,
    issued_at      DATETIME    NOT NULL,
    revoked_at     DATETIME,
    revoke_reason  VARCHAR(500),
    replaced_by    BIGINT,
    active_student BIGINT AS (CASE WHEN status = 'active' THEN student_id END) STORED,
    UNIQUE KEY codes_one_active (active_student),
    UNIQUE KEY codes_token (token),
    KEY codes_student (student_id),
    CONSTRAINT codes_student_fk FOREIGN KEY (student_id) REFERENCES students (id),
    CONSTRAINT codes_replaced_fk FOREIGN KEY (replaced_by) REFERENCES codes (serial),
    CONSTRAINT codes_status CHECK (status IN ('active','revoked'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sessions (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    title       VARCHAR(200) NOT NULL,
    location    VARCHAR(200) NOT NULL,
    starts_at   DATETIME     NOT NULL,
    ends_at     DATETIME     NOT NULL,
    capacity    INT          NOT NULL,
    stations    INT          NOT NULL DEFAULT 1,
    makeup      BOOLEAN      NOT NULL DEFAULT FALSE,
    checked_in  INT          NOT NULL DEFAULT 0,
    created_at  DATETIME     NOT NULL,
    CONSTRAINT sessions_capacity CHECK (capacity > 0),
    CONSTRAINT sessions_stations CHECK (stations > 0),
    CONSTRAINT sessions_times CHECK (ends_at > starts_at),
    CONSTRAINT sessions_full CHECK (checked_in <= capacity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE assignments (
    session_id  BIGINT   NOT NULL,
    student_id  BIGINT   NOT NULL,
    assigned_at DATETIME NOT NULL,
    PRIMARY KEY (session_id, student_id),
    KEY assignments_student (student_id),
    CONSTRAINT assignments_session_fk FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
    CONSTRAINT assignments_student_fk FOREIGN KEY (student_id) REFERENCES students (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE checkins (
    session_id    BIGINT      NOT NULL,
    student_id    BIGINT      NOT NULL,
    shot          INT         NOT NULL,
    station       VARCHAR(64) NOT NULL,
    operator      VARCHAR(64) NOT NULL,
    walk_in       BOOLEAN     NOT NULL DEFAULT FALSE,
    checked_in_at DATETIME    NOT NULL,
    PRIMARY KEY (session_id, student_id),
    UNIQUE KEY checkins_shot (session_id, shot),
    KEY checkins_student (student_id),
    CONSTRAINT checkins_session_fk FOREIGN KEY (session_id) REFERENCES sessions (id),
    CONSTRAINT checkins_student_fk FOREIGN KEY (student_id) REFERENCES students (id),
    CONSTRAINT checkins_shot_positive CHECK (shot > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE photos (
    id          BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    path        VARCHAR(700)  NOT NULL,
    student_id  BIGINT,
    size        BIGINT        NOT NULL,
    mtime       BIGINT        NOT NULL,
    sha256      CHAR(64)      NOT NULL,
    width       INT,
    height      INT,
    status      VARCHAR(10)   NOT NULL,
    problems    VARCHAR(2000) NOT NULL DEFAULT '',
    spec        VARCHAR(64)   NOT NULL DEFAULT '',
    checked_at  DATETIME      NOT NULL,
    UNIQUE KEY photos_path (path),
    KEY photos_student (student_id),
    CONSTRAINT photos_student_fk FOREIGN KEY (student_id) REFERENCES students (id),
    CONSTRAINT photos_status CHECK (status IN ('valid','invalid','duplicate','orphan'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE audit_log (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at          DATETIME     NOT NULL,
    operator    VARCHAR(64)  NOT NULL,
    action      VARCHAR(32)  NOT NULL,
    student_no  VARCHAR(32),
    detail      TEXT         NOT NULL,
    KEY audit_student (student_no),
    KEY audit_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE settings (
    name    VARCHAR(64) NOT NULL PRIMARY KEY,
    value   TEXT        NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Rows locked (SELECT ... FOR UPDATE) to run whole-roster operations one at a time across stations.
CREATE TABLE locks (
    name VARCHAR(32) NOT NULL PRIMARY KEY
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO locks (name) VALUES ('roster'), ('codes'), ('sessions'), ('photos');
