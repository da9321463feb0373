-- The tenant's trained recommender models (recommendation pillar): one row per training that finished, the
-- newest in use. The file (EASE weights, recommend/collab_model.hpp) lies under the data directory; metrics
-- are what training measured on its held-out split (JSON).
CREATE TABLE recommender_models (
  version    INTEGER PRIMARY KEY,
  file       TEXT NOT NULL,     -- relative to the data directory
  metrics    TEXT NOT NULL,     -- JSON object
  job_id     TEXT,              -- the training job, when one made it
  trained_at INTEGER NOT NULL
);
