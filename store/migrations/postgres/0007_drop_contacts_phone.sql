-- The live-phone unique index answers every look-up by phone (as 0007 on
-- SQLite).
DROP INDEX IF EXISTS contacts_phone;
