-- The change feed (PostgreSQL's 0010 notifies listeners at each commit):
-- SQLite's screens poll PRAGMA data_version instead, which needs nothing in
-- the schema. Numbered alike on both engines.
SELECT 1;
