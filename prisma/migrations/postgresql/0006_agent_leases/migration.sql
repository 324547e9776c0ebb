-- CreateTable
CREATE TABLE "agent_leases" (
    "key" TEXT NOT NULL,
    "dispatch_seq" BIGINT NOT NULL,
    "agent" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "node_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "holder" TEXT,
    "token" TEXT,
    "lease_ms" INTEGER NOT NULL,
    "expires_at" TIMESTAMP(3),
    "task" TEXT NOT NULL,
    "outcome" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "agent_leases_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "agent_leases_dispatch_seq_key" ON "agent_leases"("dispatch_seq");

-- CreateIndex
CREATE INDEX "agent_leases_agent_status_idx" ON "agent_leases"("agent", "status");
