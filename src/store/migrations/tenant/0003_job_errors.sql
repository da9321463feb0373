-- A failed job keeps its error's kind and per-field reasons beside the message (`error`).
ALTER TABLE jobs ADD COLUMN error_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN error_fields TEXT NOT NULL DEFAULT '{}';
