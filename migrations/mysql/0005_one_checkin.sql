-- One check-in per student (docs/sessions.md, "One check-in per student"): `counts_for` holds the
-- student's id on the one check-in that counts and NULL on those kept as history, and the unique
-- key lets no second counting row in, whichever station or session it comes from.
-- A student checked in more than once before this rule keeps every row; the earliest counts
-- (ties: the lower session id), the later ones become history. MySQL cannot read the table an
-- UPDATE writes in a subquery, so the earliest rows come from a grouped (materialised) table.
ALTER TABLE checkins ADD COLUMN counts_for BIGINT NULL;
UPDATE checkins k
JOIN (SELECT c.student_id, MIN(c.session_id) AS session_id
      FROM checkins c
      JOIN (SELECT student_id, MIN(checked_in_at) AS first_at FROM checkins GROUP BY student_id) f
        ON f.student_id = c.student_id AND c.checked_in_at = f.first_at
      GROUP BY c.student_id) w
  ON w.student_id = k.student_id AND w.session_id = k.session_id
SET k.counts_for = k.student_id;
ALTER TABLE checkins ADD UNIQUE KEY checkins_counting (counts_for),
    ADD CONSTRAINT checkins_counts_for_student CHECK (counts_for IS NULL OR counts_for = student_id);
