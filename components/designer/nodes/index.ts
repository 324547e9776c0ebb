/**
 * `nodeTypes` for React Flow, at module scope so its identity never changes (a new object per render would
 * remount every node). One memoized component per kind; `satisfies` keeps it exhaustive over NODE_KINDS.
 */
import type { ComponentType } from 'react';
import type { NodeProps } from '@xyflow/react';
import type { NodeKind } from '@/server/workflows/schema';
import type { DesignerNodeOf } from '../graph';
import { AgentNode } from './AgentNode';
import { ApprovalNode } from './ApprovalNode';
import { DelayNode } from './DelayNode';
import { EndNode } from './EndNode';
import { FanOutNode } from './FanOutNode';
import { JoinNode } from './JoinNode';
import { RouterNode } from './RouterNode';
import { SetContextNode } from './SetContextNode';
import { TriggerNode } from './TriggerNode';

export const nodeTypes = {
  trigger: TriggerNode,
  agent: AgentNode,
  fanOut: FanOutNode,
  join: JoinNode,
  router: RouterNode,
  approval: ApprovalNode,
  delay: DelayNode,
  setContext: SetContextNode,
  end: EndNode,
} satisfies { [K in NodeKind]: ComponentType<NodeProps<DesignerNodeOf<K>>> };
