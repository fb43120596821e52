-- One check-in per student (docs/sessions.md, "One check-in per student"): `counts_for` holds the
-- student's id on the one check-in that counts and NULL on those kept as history, and the unique
-- index lets no second counting row in, whichever station or session it comes from.
-- A student checked in more than once before this rule keeps every row; the earliest counts
-- (ties: the lower session id), the later ones become history.
ALTER TABLE checkins ADD COLUMN counts_for INTEGER
    CHECK (counts_for IS NULL OR counts_for = student_id);
UPDATE checkins SET counts_for = student_id
WHERE NOT EXISTS (
    SELECT 1 FROM checkins e
    WHERE e.student_id = checkins.student_id
      AND (e.checked_in_at < checkins.checked_in_at
           OR (e.checked_in_at = checkins.checked_in_at AND e.session_id < checkins.session_id)));
CREATE UNIQUE INDEX checkins_counting ON checkins (counts_for);
