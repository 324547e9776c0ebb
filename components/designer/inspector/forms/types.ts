import type { NodeConfig, NodeKind } from '@/server/workflows/schema';

export type FormProps<K extends NodeKind> = {
  id: string;
  config: NodeConfig<K>;
  /** Validator messages by config field path (`agent`, `routes.1.condition`). */
  fieldProblems: Readonly<Record<string, string>>;
};
