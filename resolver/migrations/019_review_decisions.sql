-- Decisions on suggested matches (resolver/review-queue.ts): approved (merged) or rejected, by
-- which key and when. A rejected pair is never suggested again.
ALTER TABLE match_reviews ADD COLUMN IF NOT EXISTS decided_by text;
ALTER TABLE match_reviews ADD COLUMN IF NOT EXISTS decided_at timestamptz;
CREATE INDEX IF NOT EXISTS match_reviews_rejected_pairs ON match_reviews (tenant_id, LEAST(customer360_id, candidate_id), GREATEST(customer360_id, candidate_id))
  WHERE status = 'rejected';
