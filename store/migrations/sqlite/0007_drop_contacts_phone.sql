-- Every look-up of a contact by phone asks for a live one, which the
-- unique partial index contacts_live_phone (0006) answers; the older plain
-- index on phone only cost time on every insert (a 1M-row import kept two
-- phone indexes up to date).
DROP INDEX IF EXISTS contacts_phone;
