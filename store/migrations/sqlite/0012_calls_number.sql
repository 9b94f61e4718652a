-- A number's calls by time: its usage (Numbers details) and the health a
-- claim judges when rotate_at_risk is on read them per number, and an area
-- code's through its numbers.
CREATE INDEX calls_number ON calls (number_id, started_at);
