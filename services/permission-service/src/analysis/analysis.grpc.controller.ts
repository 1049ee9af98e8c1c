import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { analysisV1 } from '@tagguard/contracts';
import {
  analyzeConflicts,
  buildUniverse,
  explainAccess,
  previewMoves,
  renderSvg,
  ReorderError,
  treeDot,
  treeJson,
  type AnalysisInput,
} from '@tagguard/permission-engine';
import { LocalCopies } from '../policy/copies/local-copies';
import { invalid } from '../policy/domain/policy.errors';
import { actionOf, idOf } from '../policy/domain/policy-rules';
import { caller, edge, fresh, POLICY_EDGE, type EdgeDeps } from '../policy/edge';
import { PolicyMemory } from '../policy/engine/policy-memory';
import { toConflicts, toExplanation, toPreview } from './analysis.wire';

const MAX_MOVES = 100;

/**
 * tagguard.permission.v1.AnalysisService: the engine's conflict analysis (libs/permission-engine,
 * analysis/) over the same snapshot CheckService decides on. The universe is the tenant's copies: every
 * employee of the directory copy and every tag of the tag copy. Nothing is cached: an admin asks rarely,
 * and the answer must be the current tree's.
 */
@Controller()
@analysisV1.AnalysisServiceControllerMethods()
export class AnalysisGrpcController implements analysisV1.AnalysisServiceController {
  constructor(
    @Inject(PolicyMemory) private readonly policy: PolicyMemory,
    @Inject(LocalCopies) private readonly copies: LocalCopies,
    @Inject(POLICY_EDGE) private readonly deps: EdgeDeps,
  ) {}

  private async input(md: Metadata | undefined, token: string): Promise<AnalysisInput> {
    const { principal } = await caller(this.deps, md, 'policy.manage');
    await fresh(this.policy.folded, token, 'consistencyToken');
    const copy = await this.copies.tenant(principal.tenantId);
    return {
      snapshot: { policy: this.policy.policy(principal.tenantId), directory: copy, tags: copy },
      employeeIds: [...copy.employees.keys()],
      tagIds: [...copy.tags.keys()],
      at: Date.now(),
    };
  }

  analyzeConflicts(
    r: analysisV1.AnalyzeConflictsRequest,
    md?: Metadata,
  ): Promise<analysisV1.AnalyzeConflictsResponse> {
    return edge(async () => {
      const input = await this.input(md, r.consistencyToken);
      if (r.ruleId && !input.snapshot.policy.rules.has(r.ruleId))
        throw invalid('ruleId', `no rule "${r.ruleId}" in the tree`);
      return toConflicts(analyzeConflicts(buildUniverse(input)), r.ruleId);
    });
  }

  explainAccess(
    r: analysisV1.ExplainAccessRequest,
    md?: Metadata,
  ): Promise<analysisV1.ExplainAccessResponse> {
    return edge(async () => {
      const query = {
        employeeId: idOf(r.employeeId, 'employeeId'),
        tagId: idOf(r.tagId, 'tagId'),
        action: actionOf(r.action, 'action'),
      };
      const input = await this.input(md, r.consistencyToken);
      return toExplanation(explainAccess(input.snapshot, { ...query, at: input.at }));
    });
  }

  previewReorder(
    r: analysisV1.PreviewReorderRequest,
    md?: Metadata,
  ): Promise<analysisV1.PreviewReorderResponse> {
    return edge(async () => {
      if (r.moves.length === 0 || r.moves.length > MAX_MOVES)
        throw invalid('moves', `must hold 1 to ${MAX_MOVES} moves`);
      const moves = r.moves.map((m, i) => ({
        ruleId: idOf(m.ruleId, `moves[${i}].ruleId`),
        toPosition: m.position,
      }));
      const input = await this.input(md, r.consistencyToken);
      try {
        return toPreview(previewMoves(buildUniverse(input), moves), input.snapshot.policy.position);
      } catch (error) {
        if (error instanceof ReorderError) throw invalid(error.field, error.message);
        throw error;
      }
    });
  }

  exportTree(r: analysisV1.ExportTreeRequest, md?: Metadata): Promise<analysisV1.ExportTreeResponse> {
    return edge(async () => {
      const F = analysisV1.ExportFormat;
      const format = r.format;
      if (format !== F.EXPORT_FORMAT_JSON && format !== F.EXPORT_FORMAT_DOT && format !== F.EXPORT_FORMAT_SVG)
        throw invalid('format', 'must be EXPORT_FORMAT_JSON, EXPORT_FORMAT_DOT or EXPORT_FORMAT_SVG');
      const input = await this.input(md, r.consistencyToken);
      const u = buildUniverse(input);
      const tree = treeJson(u.rules, analyzeConflicts(u));
      const snapshot = tree.position;
      if (format === F.EXPORT_FORMAT_JSON)
        return { contentType: 'application/json', content: JSON.stringify(tree), snapshot };
      const dot = treeDot(tree);
      if (format === F.EXPORT_FORMAT_DOT) return { contentType: 'text/vnd.graphviz', content: dot, snapshot };
      return { contentType: 'image/svg+xml', content: await renderSvg(dot), snapshot };
    });
  }
}
