/**
 * What each RPC of every TagGuard gRPC service leaves in the audit trail (issue 14 item 1): a write RPC
 * names the integration event types its accepted changes are published as; a read-only RPC says so. Every
 * RPC's refusal (PERMISSION_DENIED) is recorded by its service's DenialRecorder (DENIAL_BY_PACKAGE).
 * The completeness test (completeness.unit.spec.ts) fails for an RPC missing here, an event type that
 * is not audited, and a package whose denials reach no audited topic.
 */
export type RpcAudit = { read: true } | { writes: readonly string[] } | { gap: string };

const READ = { read: true } as const;
const writes = (...types: string[]): RpcAudit => ({ writes: types });
/** A write whose changes reach no public topic yet: listed, so it cannot be forgotten (see the report). */
const gap = (why: string): RpcAudit => ({ gap: why });

const DELETE_EFFECTS = [
  'tag.sensitive_operation_detected.v1',
  'tag.operator_frozen.v1',
  'tag.notification_requested.v1',
  'tag.approval_requested.v1',
];
const DIRECTORY_ALL = [
  'directory.department_upserted.v1',
  'directory.department_removed.v1',
  'directory.employee_upserted.v1',
  'directory.employee_status_changed.v1',
  'directory.partner_enterprise_upserted.v1',
  'directory.partner_enterprise_removed.v1',
  'directory.partner_staff_upserted.v1',
  'directory.partner_staff_removed.v1',
  'directory.customer_upserted.v1',
  'directory.customer_removed.v1',
];
const DOWNSTREAM_GAP = gap(
  'sync-service downstream state is kept in its own tables and published on no topic',
);

export const RPC_AUDIT: Record<string, RpcAudit> = {
  'tagguard.tag.v1.TagService/CreateTag': writes('tag.created.v1'),
  'tagguard.tag.v1.TagService/RenameTag': writes('tag.renamed.v1'),
  'tagguard.tag.v1.TagService/DeleteTag': writes('tag.deleted.v1', ...DELETE_EFFECTS),
  'tagguard.tag.v1.TagService/GetTag': READ,
  'tagguard.tag.v1.TagService/ListTags': READ,
  'tagguard.tag.v1.TagService/MoveTag': writes('tag.moved.v1'),
  'tagguard.tag.v1.TagService/ReorderTag': writes('tag.reordered.v1'),
  'tagguard.tag.v1.TagService/DescribeTag': writes('tag.described.v1'),
  'tagguard.tag.v1.TagService/SetTagVisibility': writes('tag.visibility_changed.v1'),
  'tagguard.tag.v1.TagService/SetTagProtection': writes('tag.protection_changed.v1'),
  'tagguard.tag.v1.TagMemberService/AddMembers': writes(
    'tag.members_added.v1',
    'tag.follow_up_task_created.v1',
    ...DELETE_EFFECTS,
  ),
  'tagguard.tag.v1.TagMemberService/RemoveMembers': writes(
    'tag.members_removed.v1',
    'tag.abnormal_change_reverted.v1',
    ...DELETE_EFFECTS,
  ),
  'tagguard.tag.v1.TagMemberService/ListMembers': READ,
  'tagguard.tag.v1.RecycleBinService/ListRecycleBin': READ,
  'tagguard.tag.v1.RecycleBinService/RestoreTag': writes('tag.restored.v1'),
  'tagguard.tag.v1.TagGovernanceService/GetPolicy': READ,
  'tagguard.tag.v1.TagGovernanceService/ConfigurePolicy': writes('tag.policy_configured.v1'),
  'tagguard.tag.v1.TagGovernanceService/ListSensitiveOperations': READ,
  'tagguard.tag.v1.TagGovernanceService/ListFrozenOperators': READ,
  'tagguard.tag.v1.TagGovernanceService/UnfreezeOperator': writes('tag.operator_unfrozen.v1'),
  'tagguard.tag.v1.TagGovernanceService/ListApprovals': READ,
  'tagguard.tag.v1.TagGovernanceService/ApproveOperation': writes(
    'tag.approval_decided.v1',
    'tag.deleted.v1',
  ),
  'tagguard.tag.v1.TagGovernanceService/RejectOperation': writes('tag.approval_decided.v1'),
  'tagguard.tag.v1.TagGovernanceService/DefineRevertRule': writes('tag.revert_rule_defined.v1'),
  'tagguard.tag.v1.TagGovernanceService/RemoveRevertRule': writes('tag.revert_rule_removed.v1'),
  'tagguard.tag.v1.TagGovernanceService/ListRevertRules': READ,
  'tagguard.tag.v1.TagGovernanceService/ListRevertedChanges': READ,
  'tagguard.tag.v1.TagGovernanceService/GetDirectoryPolicy': READ,
  'tagguard.tag.v1.TagGovernanceService/SetDirectoryPolicy': writes('tag.directory_policy_set.v1'),
  'tagguard.tag.v1.TagAutomationService/DefineAutomation': writes('tag.automation_defined.v1'),
  'tagguard.tag.v1.TagAutomationService/RemoveAutomation': writes('tag.automation_removed.v1'),
  'tagguard.tag.v1.TagAutomationService/ListAutomations': READ,
  'tagguard.tag.v1.TagAutomationService/ListFollowUpTasks': READ,
  'tagguard.tag.v1.TagAutomationService/CompleteFollowUpTask': writes('tag.follow_up_task_completed.v1'),
  'tagguard.tag.v1.TimeMachineService/GetTagAsOf': READ,
  'tagguard.tag.v1.TimeMachineService/GetTreeAsOf': READ,
  'tagguard.tag.v1.TimeMachineService/DiffTags': READ,
  'tagguard.tag.v1.TimeMachineService/PlanRestore': READ,
  'tagguard.tag.v1.TimeMachineService/RestoreToPoint': writes(
    'tag.restore_applied.v1',
    'tag.restored_to_point.v1',
    ...DELETE_EFFECTS,
  ),
  'tagguard.tag.v1.TimeMachineService/RebuildReadModels': writes('tag.read_models_rebuilt.v1'),

  'tagguard.permission.v1.PolicyService/DefineRole': writes('permission.role_changed.v1'),
  'tagguard.permission.v1.PolicyService/RemoveRole': writes('permission.role_changed.v1'),
  'tagguard.permission.v1.PolicyService/ListRoles': READ,
  'tagguard.permission.v1.PolicyService/AssignRole': writes('permission.role_assignment_changed.v1'),
  'tagguard.permission.v1.PolicyService/UnassignRole': writes('permission.role_assignment_changed.v1'),
  'tagguard.permission.v1.PolicyService/ListRoleAssignments': READ,
  'tagguard.permission.v1.PolicyService/DefinePermissionGroup': writes('permission.group_changed.v1'),
  'tagguard.permission.v1.PolicyService/RemovePermissionGroup': writes('permission.group_changed.v1'),
  'tagguard.permission.v1.PolicyService/ListPermissionGroups': READ,
  'tagguard.permission.v1.PolicyService/AddRule': writes(
    'permission.rule_changed.v1',
    'permission.rules_reordered.v1',
  ),
  'tagguard.permission.v1.PolicyService/UpdateRule': writes('permission.rule_changed.v1'),
  'tagguard.permission.v1.PolicyService/RemoveRule': writes(
    'permission.rule_changed.v1',
    'permission.rules_reordered.v1',
  ),
  'tagguard.permission.v1.PolicyService/MoveRule': writes('permission.rules_reordered.v1'),
  'tagguard.permission.v1.PolicyService/GetPermissionTree': READ,
  'tagguard.permission.v1.PolicyService/UpsertSensitiveWord': writes('permission.sensitive_word_changed.v1'),
  'tagguard.permission.v1.PolicyService/RemoveSensitiveWord': writes('permission.sensitive_word_changed.v1'),
  'tagguard.permission.v1.PolicyService/ListSensitiveWords': READ,
  'tagguard.permission.v1.PolicyService/Freeze': writes('permission.freeze_changed.v1'),
  'tagguard.permission.v1.PolicyService/Unfreeze': writes('permission.freeze_changed.v1'),
  'tagguard.permission.v1.PolicyService/ListFreezes': READ,
  'tagguard.permission.v1.CheckService/Check': READ,
  'tagguard.permission.v1.CheckService/BatchCheck': READ,
  'tagguard.permission.v1.CheckService/LookupResources': READ,
  'tagguard.permission.v1.CheckService/LookupSubjects': READ,
  'tagguard.permission.v1.CheckService/Expand': READ,
  'tagguard.permission.v1.AnalysisService/AnalyzeConflicts': READ,
  'tagguard.permission.v1.AnalysisService/ExplainAccess': READ,
  'tagguard.permission.v1.AnalysisService/PreviewReorder': READ,
  'tagguard.permission.v1.AnalysisService/ExportTree': READ,

  'tagguard.sync.v1.DirectoryService/UpsertDepartment': writes('directory.department_upserted.v1'),
  'tagguard.sync.v1.DirectoryService/MoveDepartment': writes('directory.department_upserted.v1'),
  'tagguard.sync.v1.DirectoryService/RemoveDepartment': writes('directory.department_removed.v1'),
  'tagguard.sync.v1.DirectoryService/GetDepartment': READ,
  'tagguard.sync.v1.DirectoryService/ListDepartments': READ,
  'tagguard.sync.v1.DirectoryService/UpsertEmployee': writes('directory.employee_upserted.v1'),
  'tagguard.sync.v1.DirectoryService/MoveEmployee': writes('directory.employee_upserted.v1'),
  'tagguard.sync.v1.DirectoryService/DisableEmployee': writes(
    'directory.employee_upserted.v1',
    'directory.employee_status_changed.v1',
  ),
  'tagguard.sync.v1.DirectoryService/EnableEmployee': writes(
    'directory.employee_upserted.v1',
    'directory.employee_status_changed.v1',
  ),
  'tagguard.sync.v1.DirectoryService/MarkEmployeeLeft': writes(
    'directory.employee_upserted.v1',
    'directory.employee_status_changed.v1',
  ),
  'tagguard.sync.v1.DirectoryService/GetEmployee': READ,
  'tagguard.sync.v1.DirectoryService/ListEmployees': READ,
  'tagguard.sync.v1.DirectoryService/UpsertPartner': writes('directory.partner_enterprise_upserted.v1'),
  'tagguard.sync.v1.DirectoryService/RemovePartner': writes('directory.partner_enterprise_removed.v1'),
  'tagguard.sync.v1.DirectoryService/UpsertPartnerStaff': writes('directory.partner_staff_upserted.v1'),
  'tagguard.sync.v1.DirectoryService/RemovePartnerStaff': writes('directory.partner_staff_removed.v1'),
  'tagguard.sync.v1.DirectoryService/GetPartner': READ,
  'tagguard.sync.v1.DirectoryService/UpsertCustomer': writes('directory.customer_upserted.v1'),
  'tagguard.sync.v1.DirectoryService/RemoveCustomer': writes('directory.customer_removed.v1'),
  'tagguard.sync.v1.DirectoryService/GetCustomer': READ,
  'tagguard.sync.v1.DirectoryService/ListCustomers': READ,
  'tagguard.sync.v1.DirectoryService/ImportDirectory': writes(...DIRECTORY_ALL),
  'tagguard.sync.v1.ConnectorService/RunFullSync': writes(...DIRECTORY_ALL),
  'tagguard.sync.v1.ConnectorService/GetConnectorStatus': READ,
  'tagguard.sync.v1.DownstreamService/ConfigureChannel': writes('downstream.channel_configured.v1'),
  'tagguard.sync.v1.DownstreamService/EnableChannel': writes('downstream.channel_enabled.v1'),
  'tagguard.sync.v1.DownstreamService/DisableChannel': writes('downstream.channel_disabled.v1'),
  'tagguard.sync.v1.DownstreamService/GetChannelState': READ,
  'tagguard.sync.v1.DownstreamService/ListChannels': READ,
  'tagguard.sync.v1.DownstreamService/DetectDrift': DOWNSTREAM_GAP,
  'tagguard.sync.v1.DownstreamService/ListDrift': READ,
  'tagguard.sync.v1.DownstreamService/RepairDrift': DOWNSTREAM_GAP,
  'tagguard.sync.v1.DownstreamService/ForceResync': DOWNSTREAM_GAP,

  'tagguard.mute.v1.RuleService/CreateRule': writes('mute.rule_changed.v1'),
  'tagguard.mute.v1.RuleService/UpdateRule': writes('mute.rule_changed.v1'),
  'tagguard.mute.v1.RuleService/RemoveRule': writes('mute.rule_changed.v1'),
  'tagguard.mute.v1.RuleService/ListRules': READ,
  'tagguard.mute.v1.RuleService/CreateGreenChannel': writes('mute.green_channel_changed.v1'),
  'tagguard.mute.v1.RuleService/UpdateGreenChannel': writes('mute.green_channel_changed.v1'),
  'tagguard.mute.v1.RuleService/RemoveGreenChannel': writes('mute.green_channel_changed.v1'),
  'tagguard.mute.v1.RuleService/ListGreenChannels': READ,
  'tagguard.mute.v1.RuleService/SetTimeZone': writes('mute.recipient_time_zone_changed.v1'),
  // A decision is recorded once per message (a dry run records nothing); its delivery is not audited (D104).
  'tagguard.mute.v1.DecideService/Decide': writes('mute.message_decided.v1'),
  'tagguard.mute.v1.DecideService/BatchDecide': writes('mute.message_decided.v1'),
  'tagguard.mute.v1.DecideService/DecideStream': writes('mute.message_decided.v1'),
  'tagguard.mute.v1.UnmuteService/StartTemporaryUnmute': writes('mute.temporary_unmute_started.v1'),
  'tagguard.mute.v1.UnmuteService/StopTemporaryUnmute': writes('mute.temporary_unmute_ended.v1'),
  'tagguard.mute.v1.UnmuteService/GetTemporaryUnmute': READ,
  'tagguard.mute.v1.UnmuteService/ListTemporaryUnmutes': READ,
  'tagguard.mute.v1.UnmuteService/GetUnmuteReport': READ,
  'tagguard.mute.v1.HoldService/ListHeld': READ,
  'tagguard.mute.v1.HoldService/ReleaseDue': writes('mute.message_released.v1'),
  'tagguard.mute.v1.HoldService/ListDigests': READ,
  'tagguard.mute.v1.AutomationService/ConfigureStoreVisitAutomation': gap(
    "mute-service keeps the automation's settings in its own table and publishes them on no topic",
  ),
  'tagguard.mute.v1.AutomationService/GetStoreVisitAutomation': READ,
  // Over gRPC the fact goes straight to the automation, not through the commerce topic: only the mute it
  // leads to (mute.customer_muted_by_automation.v1, later) or lifts is published.
  'tagguard.mute.v1.AutomationService/RecordStoreVisit': gap(
    'a visit recorded over gRPC is published on no topic; the mute it may lead to is, when it starts',
  ),
  'tagguard.mute.v1.AutomationService/RecordPurchase': writes('mute.automation_mute_lifted.v1'),
  'tagguard.mute.v1.AutomationService/ListAutomationMutes': READ,

  'tagguard.audit.v1.AuditService/ListAuditRecords': READ,
  'tagguard.audit.v1.AuditService/GetSignedTreeHead': READ,
  // Signs the log as it is: the head is the trail's own artefact (tree_heads), not a change to audit.
  'tagguard.audit.v1.AuditService/IssueTreeHead': READ,
  'tagguard.audit.v1.AuditService/GetInclusionProof': READ,
  'tagguard.audit.v1.AuditService/GetConsistencyProof': READ,
  'tagguard.audit.v1.AuditService/VerifyTrail': READ,
  'tagguard.audit.v1.AuditService/ExportRecords': READ,
  // Reports are built from the trail on request (D89): reading them changes nothing.
  'tagguard.audit.v1.ReportService/ListReports': READ,
  'tagguard.audit.v1.ReportService/GetReport': READ,
  // audit-service writes its own channel changes into the trail with the channel row (ChannelWriter).
  'tagguard.audit.v1.NotificationService/PutChannel': writes('audit.notification_channel_changed.v1'),
  'tagguard.audit.v1.NotificationService/RemoveChannel': writes('audit.notification_channel_changed.v1'),
  'tagguard.audit.v1.NotificationService/ListChannels': READ,
  'tagguard.audit.v1.NotificationService/ListNotifications': READ,

  'tagguard.runtime.v1.ServiceInfoService/GetServiceInfo': READ,
  'tagguard.runtime.v1.ComponentsService/ListComponents': READ,
};

/**
 * Which service's DenialRecorder records the refusals of a package's RPCs, and where they travel: a
 * denial topic audit-service consumes, or `direct` (audit-service writes its own into the trail).
 * The runtime package is served by every service, so its refusals go through the serving one's.
 */
export const DENIAL_BY_PACKAGE: Record<string, { service: string; via: 'topic' | 'direct' | 'serving' }> = {
  'tagguard.tag.v1': { service: 'tag-service', via: 'topic' },
  'tagguard.permission.v1': { service: 'permission-service', via: 'topic' },
  'tagguard.sync.v1': { service: 'sync-service', via: 'topic' },
  'tagguard.mute.v1': { service: 'mute-service', via: 'topic' },
  'tagguard.audit.v1': { service: 'audit-service', via: 'direct' },
  'tagguard.runtime.v1': { service: '(the serving service)', via: 'serving' },
};
