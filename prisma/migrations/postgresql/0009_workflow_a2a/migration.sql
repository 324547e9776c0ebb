-- A published workflow may be served as an A2A agent (its Agent Card and JSON-RPC endpoint at /api/a2a/{id}):
-- the switch, off by default; turning it on or off is recorded as workflow.a2a_exposed / workflow.a2a_withdrawn.

-- AlterTable
ALTER TABLE "workflows" ADD COLUMN "a2a_exposed" BOOLEAN NOT NULL DEFAULT false;
