-- One clock (docs/time.md): every DATETIME column holds UTC from now on (the driver sets each
-- connection's time_zone to +00:00, so the server never shifts them). Rows written before this
-- migration hold the wall-clock time of the station that wrote them; they are read in the
-- server's zone (@@global.time_zone; SYSTEM is the zone of the server's machine).
UPDATE students SET created_at = CONVERT_TZ(created_at, @@global.time_zone, '+00:00'),
                    updated_at = CONVERT_TZ(updated_at, @@global.time_zone, '+00:00');
UPDATE codes SET issued_at = CONVERT_TZ(issued_at, @@global.time_zone, '+00:00'),
                 revoked_at = CONVERT_TZ(revoked_at, @@global.time_zone, '+00:00');
UPDATE sessions SET starts_at = CONVERT_TZ(starts_at, @@global.time_zone, '+00:00'),
                    ends_at = CONVERT_TZ(ends_at, @@global.time_zone, '+00:00'),
                    created_at = CONVERT_TZ(created_at, @@global.time_zone, '+00:00');
UPDATE assignments SET assigned_at = CONVERT_TZ(assigned_at, @@global.time_zone, '+00:00');
UPDATE checkins SET checked_in_at = CONVERT_TZ(checked_in_at, @@global.time_zone, '+00:00');
UPDATE photos SET checked_at = CONVERT_TZ(checked_at, @@global.time_zone, '+00:00');
UPDATE audit_log SET at = CONVERT_TZ(at, @@global.time_zone, '+00:00');
