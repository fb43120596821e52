//! Collection codes (采集码): token format, keyring, QR rendering.
