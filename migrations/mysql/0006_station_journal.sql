-- Offline stations (docs/sessions.md "Offline stations"): a scan queued in a station's journal
-- carries a nonce, stored with the check-in it made, so that a send that was cut and retried
-- finds its first result instead of counting twice; the provisional label (`B-017`) the
-- station showed is kept beside the real shot so slates shot offline map to it.
ALTER TABLE checkins
    ADD COLUMN nonce VARCHAR(40) NULL,
    ADD COLUMN label VARCHAR(16) NULL,
    ADD UNIQUE KEY checkins_nonce (nonce),
    ADD KEY checkins_label (session_id, label);
