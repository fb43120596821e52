-- One clock (docs/time.md): every time becomes `timestamptz`, a moment rather than a wall-clock
-- reading. Rows written before this migration hold the wall-clock time of the station that
-- wrote them; they are read in the zone the server gives this database, the first of:
-- ALTER ROLE ... IN DATABASE / ALTER ROLE / ALTER DATABASE ... SET timezone, the `timezone` of
-- postgresql.conf (readable by superusers and pg_read_all_settings), else the server's
-- log_timezone (which initdb sets to the same zone).
-- The driver starts every session in UTC, so the zone is set for this transaction only, and the
-- column type change reads each old value in it.
DO $$
DECLARE
    zone text;
BEGIN
    SELECT substr(cfg, strpos(cfg, '=') + 1) INTO zone
    FROM pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) AS cfg
    WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
      AND s.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = current_user))
      AND NOT (s.setdatabase = 0 AND s.setrole = 0)
      AND lower(split_part(cfg, '=', 1)) = 'timezone'
    ORDER BY (s.setrole <> 0) DESC, (s.setdatabase <> 0) DESC
    LIMIT 1;
    IF zone IS NULL THEN
        BEGIN
            SELECT setting INTO zone FROM pg_file_settings
            WHERE lower(name) = 'timezone' AND applied
            ORDER BY seqno DESC LIMIT 1;
        EXCEPTION WHEN insufficient_privilege THEN
            zone := NULL;
        END;
    END IF;
    IF zone IS NULL THEN
        zone := current_setting('log_timezone');
    END IF;
    EXECUTE format('SET LOCAL TimeZone = %L', zone);
END
$$;

ALTER TABLE students ALTER COLUMN created_at TYPE timestamptz,
                     ALTER COLUMN updated_at TYPE timestamptz;
ALTER TABLE codes ALTER COLUMN issued_at TYPE timestamptz,
                  ALTER COLUMN revoked_at TYPE timestamptz;
ALTER TABLE sessions ALTER COLUMN starts_at TYPE timestamptz,
                     ALTER COLUMN ends_at TYPE timestamptz,
                     ALTER COLUMN created_at TYPE timestamptz;
ALTER TABLE assignments ALTER COLUMN assigned_at TYPE timestamptz;
ALTER TABLE checkins ALTER COLUMN checked_in_at TYPE timestamptz;
ALTER TABLE photos ALTER COLUMN checked_at TYPE timestamptz;
ALTER TABLE audit_log ALTER COLUMN at TYPE timestamptz;

SET LOCAL TimeZone = 'UTC';
