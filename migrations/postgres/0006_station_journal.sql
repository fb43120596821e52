-- Offline stations (docs/sessions.md "Offline stations"): a scan queued in a station's journal
-- carries a nonce, stored with the check-in it made, so that a send that was cut and retried
-- finds its first result instead of counting twice; the provisional label (`B-017`) the
-- station showed is kept beside the real shot so slates shot offline map to it.
ALTER TABLE checkins ADD COLUMN nonce TEXT;
ALTER TABLE checkins ADD COLUMN label TEXT;
CREATE UNIQUE INDEX checkins_nonce ON checkins (nonce);
CREATE INDEX checkins_label ON checkins (session_id, label);
