-- An agent may be flagged as having side effects (a payment, a booking): a fork never calls it unless the
-- fork allows side effects (it is answered from the origin's recorded output, or its task fails). Off by default.

-- AlterTable
ALTER TABLE "agents" ADD COLUMN "side_effects" BOOLEAN NOT NULL DEFAULT false;
