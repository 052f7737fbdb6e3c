-- The embedded transport: an append-only log per topic partition with committed consumer
-- positions, in place of Kafka in the one-process mode. An append is durable once committed.
CREATE TABLE IF NOT EXISTS transport_partitions (
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (topic, partition)
);

CREATE TABLE IF NOT EXISTS transport_log (
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" bigint NOT NULL,
  key text,
  value bytea NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}',
  appended_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);

CREATE TABLE IF NOT EXISTS transport_positions (
  group_id text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);
