-- One clock (docs/time.md): every time is stored in UTC from now on, as 'YYYY-MM-DD HH:MM:SS'
-- text. Rows written before this migration hold the wall-clock time of the machine that wrote
-- them; an SQLite file lives on one machine, so they are read in this machine's zone (SQLite's
-- 'utc' modifier uses the zone of the process running the migration: TZ, else the machine's).
-- A value SQLite cannot read as a time is left as it is.
UPDATE students SET created_at = COALESCE(datetime(created_at, 'utc'), created_at),
                    updated_at = COALESCE(datetime(updated_at, 'utc'), updated_at);
UPDATE codes SET issued_at = COALESCE(datetime(issued_at, 'utc'), issued_at),
                 revoked_at = COALESCE(datetime(revoked_at, 'utc'), revoked_at);
UPDATE sessions SET starts_at = COALESCE(datetime(starts_at, 'utc'), starts_at),
                    ends_at = COALESCE(datetime(ends_at, 'utc'), ends_at),
                    created_at = COALESCE(datetime(created_at, 'utc'), created_at);
UPDATE assignments SET assigned_at = COALESCE(datetime(assigned_at, 'utc'), assigned_at);
UPDATE checkins SET checked_in_at = COALESCE(datetime(checked_in_at, 'utc'), checked_in_at);
UPDATE photos SET checked_at = COALESCE(datetime(checked_at, 'utc'), checked_at);
UPDATE audit_log SET at = COALESCE(datetime(at, 'utc'), at);
