'use client';
/**
 * The inspector: edits what is selected. One node: its name, id and a real form for its kind's config
 * (zod-validated, expressions checked and previewed against the sample envelope), with the validator's
 * problems on the fields they name. One edge: its label. Several: bulk actions. Nothing: the workflow.
 */
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { Button, cn, denseInputClass, Field } from '@/components/ui';
import { KIND_META, type NodeKind } from '@/server/workflows/schema';
import type { Problem } from '@/server/workflows/validate';
import { displayName, type DesignerNode } from '../graph';
import { KIND_LOOK, KindIcon } from '../nodes/kindLook';
import { problemsOf, useDesignerStore } from '../store';
import { Section, TextField } from './fields';
import { AgentForm } from './forms/AgentForm';
import { ApprovalForm } from './forms/ApprovalForm';
import { DelayForm } from './forms/DelayForm';
import { EndForm } from './forms/EndForm';
import { FanOutForm } from './forms/FanOutForm';
import { JoinForm } from './forms/JoinForm';
import { RouterForm } from './forms/RouterForm';
import { SetContextForm } from './forms/SetContextForm';
import { TriggerForm } from './forms/TriggerForm';
import { useSample } from './sampleEnvelope';

/** Kinds whose forms have expressions (the sample envelope is offered for them). */
const HAS_EXPRESSIONS: ReadonlySet<NodeKind> = new Set(['agent', 'fanOut', 'router', 'delay', 'setContext', 'end']);

export function Inspector({ workflowPanel }: { workflowPanel: ReactNode }) {
  const readOnly = useDesignerStore((s) => s.readOnly);
  const nodeIds = useDesignerStore(useShallow((s) => s.nodes.filter((n) => n.selected).map((n) => n.id)));
  const edgeIds = useDesignerStore(useShallow((s) => s.edges.filter((e) => e.selected).map((e) => e.id)));
  let body: ReactNode;
  if (nodeIds.length === 1 && edgeIds.length === 0) body = <NodeInspector id={nodeIds[0]!} />;
  else if (nodeIds.length === 0 && edgeIds.length === 1) body = <EdgeInspector id={edgeIds[0]!} />;
  else if (nodeIds.length + edgeIds.length > 1) body = <MultiInspector nodes={nodeIds.length} edges={edgeIds.length} />;
  else body = workflowPanel;
  return (
    <aside aria-label="Inspector" data-testid="inspector" className="flex h-full w-80 shrink-0 flex-col overflow-y-auto border-l border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      {/* A disabled fieldset disables every control inside: viewing only. */}
      <fieldset disabled={readOnly} className="min-w-0">
        {body}
      </fieldset>
    </aside>
  );
}

function NodeInspector({ id }: { id: string }) {
  // Data and kind, not the node: a drag changes the node's position every frame, never these.
  const data = useDesignerStore((s) => s.nodes.find((n) => n.id === id)?.data);
  const type = useDesignerStore((s) => s.nodes.find((n) => n.id === id)?.type);
  const node = useMemo(() => (data && type ? ({ id, type, data, position: { x: 0, y: 0 } } as DesignerNode) : undefined), [id, type, data]);
  const problems = useDesignerStore((s) => problemsOf(s, id));
  const { updateNodeData, renameNode, deleteElements, duplicateSelected } = useDesignerStore(
    useShallow((s) => ({ updateNodeData: s.updateNodeData, renameNode: s.renameNode, deleteElements: s.deleteElements, duplicateSelected: s.duplicateSelected })),
  );
  if (!node) return null;
  const kind = node.type;
  const fieldProblems: Record<string, string> = {};
  for (const p of problems) if (p.field?.startsWith('config.')) fieldProblems[p.field.slice('config.'.length)] ??= p.message;

  return (
    <div data-testid="node-inspector" data-node-id={id}>
      <header className="flex items-start gap-3 px-4 pt-4 pb-3">
        <span className={cn('grid size-8 shrink-0 place-items-center rounded-lg', KIND_LOOK[kind].tint)}>
          <KindIcon kind={kind} width={16} height={16} />
        </span>
        <div className="min-w-0">
          <h2 className="truncate text-sm font-semibold">{displayName(node)}</h2>
          <p className="text-xs text-zinc-500 dark:text-zinc-400">{KIND_META[kind].description}</p>
        </div>
      </header>
      <div className="space-y-3 px-4 pb-4">
        <TextField label="Name" value={node.data.label ?? ''} placeholder={id} onChange={(label) => updateNodeData(id, { label }, { coalesce: 'label' })} testId="node-label" hint="Shown on the canvas, in runs and approvals." />
        <IdField id={id} rename={renameNode} />
      </div>
      {problems.length > 0 && (
        <Section title={`Problems (${problems.length})`}>
          <ul className="space-y-1.5" data-testid="node-problems">
            {problems.map((p, i) => (
              <ProblemLine key={i} p={p} />
            ))}
          </ul>
        </Section>
      )}
      <Section title="Settings">
        <KindForm node={node} fieldProblems={fieldProblems} />
      </Section>
      {HAS_EXPRESSIONS.has(kind) && <SampleEnvelopeSection />}
      <div className="flex gap-2 border-t border-zinc-200 px-4 py-3 dark:border-zinc-800">
        <Button size="sm" onClick={duplicateSelected}>
          Duplicate
        </Button>
        <Button size="sm" variant="ghost" className="text-rose-600 hover:text-rose-700 dark:text-rose-400" onClick={() => deleteElements({ nodes: [id] })}>
          Delete node
        </Button>
      </div>
    </div>
  );
}

function KindForm({ node, fieldProblems }: { node: DesignerNode; fieldProblems: Record<string, string> }) {
  const common = { id: node.id, fieldProblems };
  switch (node.type) {
    case 'trigger':
      return <TriggerForm {...common} config={node.data.config} />;
    case 'agent':
      return <AgentForm {...common} config={node.data.config} />;
    case 'fanOut':
      return <FanOutForm {...common} config={node.data.config} />;
    case 'join':
      return <JoinForm {...common} config={node.data.config} />;
    case 'router':
      return <RouterForm {...common} config={node.data.config} />;
    case 'approval':
      return <ApprovalForm {...common} config={node.data.config} />;
    case 'delay':
      return <DelayForm {...common} config={node.data.config} />;
    case 'setContext':
      return <SetContextForm {...common} config={node.data.config} />;
    case 'end':
      return <EndForm {...common} config={node.data.config} />;
  }
}

/** The node id: how expressions name its result (`results["case-law"]`). Applied on Enter or blur. */
function IdField({ id, rename }: { id: string; rename: (id: string, next: string) => string | null }) {
  const inputId = useId();
  const [text, setText] = useState(id);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText(id);
    setError(null);
  }, [id]);
  const apply = () => setError(text === id ? null : rename(id, text.trim()));
  return (
    <Field dense label="Id" htmlFor={inputId} error={error} hint="Expressions read this node's output as results.<id>.">
      <input
        id={inputId}
        data-testid="node-id"
        value={text}
        spellCheck={false}
        className={cn(denseInputClass, 'font-mono text-[13px]', error && 'border-rose-400')}
        onChange={(e) => setText(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === 'Enter') apply();
          if (e.key === 'Escape') setText(id);
        }}
      />
    </Field>
  );
}

function EdgeInspector({ id }: { id: string }) {
  const edge = useDesignerStore((s) => s.edges.find((e) => e.id === id));
  const problems = useDesignerStore((s) => s.edgeProblems[id]);
  const { updateEdgeLabel, deleteElements } = useDesignerStore(useShallow((s) => ({ updateEdgeLabel: s.updateEdgeLabel, deleteElements: s.deleteElements })));
  if (!edge) return null;
  return (
    <div data-testid="edge-inspector">
      <header className="px-4 pt-4 pb-3">
        <h2 className="text-sm font-semibold">Edge</h2>
        <p className="mt-1 font-mono text-xs text-zinc-500 dark:text-zinc-400">
          {edge.source} <span className="text-zinc-400">({edge.sourceHandle ?? 'default'})</span> → {edge.target}
        </p>
      </header>
      <div className="space-y-3 px-4 pb-4">
        <TextField label="Label" value={edge.data?.label ?? ''} onChange={(v) => updateEdgeLabel(id, v || undefined, { coalesce: 'label' })} hint="Shown on the canvas next to the port name." />
        {problems?.length ? (
          <ul className="space-y-1.5">
            {problems.map((p, i) => (
              <ProblemLine key={i} p={p} />
            ))}
          </ul>
        ) : null}
        <Button size="sm" variant="ghost" className="text-rose-600 dark:text-rose-400" onClick={() => deleteElements({ edges: [id] })}>
          Delete edge
        </Button>
      </div>
    </div>
  );
}

function MultiInspector({ nodes, edges }: { nodes: number; edges: number }) {
  const { deleteSelected, duplicateSelected } = useDesignerStore(useShallow((s) => ({ deleteSelected: s.deleteSelected, duplicateSelected: s.duplicateSelected })));
  return (
    <div className="space-y-3 p-4" data-testid="multi-inspector">
      <h2 className="text-sm font-semibold">
        {nodes} node{nodes === 1 ? '' : 's'}
        {edges ? `, ${edges} edge${edges === 1 ? '' : 's'}` : ''} selected
      </h2>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">Drag any of them to move them together. Copy with Ctrl/⌘ C and paste here or into another workflow.</p>
      <div className="flex gap-2">
        {nodes > 0 && (
          <Button size="sm" onClick={duplicateSelected}>
            Duplicate
          </Button>
        )}
        <Button size="sm" variant="ghost" className="text-rose-600 dark:text-rose-400" onClick={deleteSelected}>
          Delete
        </Button>
      </div>
    </div>
  );
}

export function ProblemLine({ p }: { p: Problem }) {
  return (
    <li className="flex gap-2 text-xs" data-code={p.code}>
      <span className={cn('mt-0.5 size-2 shrink-0 rounded-full', p.severity === 'error' ? 'bg-rose-500' : 'bg-amber-500')} aria-label={p.severity} />
      <span className="text-zinc-700 dark:text-zinc-300">{p.message}</span>
    </li>
  );
}

function SampleEnvelopeSection() {
  const sample = useSample();
  const id = useId();
  return (
    <details className="group border-t border-zinc-200 dark:border-zinc-800">
      <summary className="cursor-pointer px-4 py-3 text-[11px] font-semibold tracking-wider text-zinc-500 uppercase select-none hover:text-zinc-800 dark:text-zinc-400 dark:hover:text-zinc-200">
        Sample envelope for previews
      </summary>
      <div className="space-y-1 px-4 pb-4">
        <label htmlFor={id} className="sr-only">
          Sample envelope (JSON)
        </label>
        <textarea id={id} data-testid="sample-envelope" value={sample.text} onChange={(e) => sample.setText(e.target.value)} rows={10} spellCheck={false} className={cn(denseInputClass, 'font-mono text-[11px] leading-4', sample.error && 'border-rose-400')} />
        {sample.error ? <p className="text-xs text-rose-600 dark:text-rose-400">{sample.error}</p> : <p className="text-xs text-zinc-500">input, state, intent, constraints, results (by node id), item, now.</p>}
        {sample.custom && (
          <Button size="sm" variant="ghost" onClick={sample.reset}>
            Reset to the default sample
          </Button>
        )}
      </div>
    </details>
  );
}
