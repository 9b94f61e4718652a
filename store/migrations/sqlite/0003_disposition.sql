-- The agent's own word on how a call went (interested, call back, ...),
-- picked when it ends; the outcome column stays what the provider reported.
ALTER TABLE calls ADD COLUMN disposition TEXT NOT NULL DEFAULT '';
