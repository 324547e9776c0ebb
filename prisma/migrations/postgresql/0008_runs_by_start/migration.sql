-- The run list pages newest first by start seq (the dashboard, and GET /api/v1/runs's keyset cursor):
-- without a filter, or by status, the page is read from an index instead of sorting every run.

-- DropIndex
DROP INDEX "runs_status_idx";

-- CreateIndex
CREATE INDEX "runs_status_started_seq_idx" ON "runs"("status", "started_seq");

-- CreateIndex
CREATE INDEX "runs_started_seq_idx" ON "runs"("started_seq");
