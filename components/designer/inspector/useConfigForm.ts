'use client';
/**
 * The form state of one node's config. Edits build a candidate config which is parsed with the kind's zod
 * schema from server/workflows/schema.ts: when it parses, it is applied to the node at once (one undo step
 * per field while typing); when it does not, the candidate stays in the form with the schema's messages on
 * its fields, and the node keeps its last valid config. Undo or any other change from outside resets it.
 */
import { useRef, useState } from 'react';
import type { z } from 'zod';
import {
  AgentConfig,
  ApprovalConfig,
  DelayConfig,
  EndConfig,
  FanOutConfig,
  JoinConfig,
  RouterConfig,
  SetContextConfig,
  TriggerConfig,
  type NodeConfig,
  type NodeKind,
} from '@/server/workflows/schema';
import { useDesignerStore } from '../store';

export const CONFIG_SCHEMAS: { [K in NodeKind]: z.ZodType<NodeConfig<K>, unknown> } = {
  trigger: TriggerConfig,
  agent: AgentConfig,
  fanOut: FanOutConfig,
  join: JoinConfig,
  router: RouterConfig,
  approval: ApprovalConfig,
  delay: DelayConfig,
  setContext: SetContextConfig,
  end: EndConfig,
};

/** Removes keys whose value is `undefined`, so an optional field set to nothing is absent. */
function compact<T extends object>(v: T): T {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as T;
}

export type ConfigForm<K extends NodeKind> = {
  /** The candidate config the form shows (may not parse yet). */
  draft: Record<string, unknown> & Partial<NodeConfig<K>>;
  /** Schema messages by field path (`retry.maxAttempts`, `routes.0.condition`). */
  issues: Readonly<Record<string, string>>;
  /** Sets fields (shallow); `field` names the undo step typing coalesces into. */
  set(patch: Record<string, unknown>, field: string): void;
  /** Replaces the whole candidate (switching a mode). */
  replace(next: Record<string, unknown>, field: string): void;
};

export function useConfigForm<K extends NodeKind>(id: string, kind: K, config: NodeConfig<K>): ConfigForm<K> {
  const updateNodeData = useDesignerStore((s) => s.updateNodeData);
  const [draft, setDraft] = useState<Record<string, unknown>>(config as Record<string, unknown>);
  const [issues, setIssues] = useState<Record<string, string>>({});
  const known = useRef<unknown>(config);
  const node = useRef(id);
  if (config !== known.current || id !== node.current) {
    // Changed from outside (undo, paste, another node): show it.
    known.current = config;
    node.current = id;
    setDraft(config as Record<string, unknown>);
    setIssues({});
  }

  function apply(next: Record<string, unknown>, field: string) {
    const candidate = compact(next);
    setDraft(candidate);
    const r = CONFIG_SCHEMAS[kind].safeParse(candidate);
    if (!r.success) {
      const out: Record<string, string> = {};
      for (const i of r.error.issues) out[i.path.join('.') || '_'] ??= i.message;
      setIssues(out);
      return;
    }
    setIssues({});
    known.current = r.data;
    updateNodeData(id, { config: r.data }, { coalesce: `config.${field}` });
  }

  return {
    draft: draft as ConfigForm<K>['draft'],
    issues,
    set: (patch, field) => apply({ ...draft, ...patch }, field),
    replace: apply,
  };
}
