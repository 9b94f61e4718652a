-- The provider account that placed a call (a Twilio account SID; the
-- sandbox emulator has one of its own): a call whose end is not known is
-- asked about only where it was placed, never concluded lost by another
-- account (live and sandbox share one database).
ALTER TABLE calls ADD COLUMN account TEXT NOT NULL DEFAULT '';
