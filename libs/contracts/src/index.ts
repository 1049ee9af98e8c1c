// The gRPC contracts, generated from proto/ by `npm run generate` (buf + ts-proto); see proto/buf.gen.yaml.
export * as runtimeV1 from './generated/tagguard/runtime/v1/service_info';
export * as componentsV1 from './generated/tagguard/runtime/v1/components';
export * as tagV1 from './generated/tagguard/tag/v1/tag_service';
export * as tagMemberV1 from './generated/tagguard/tag/v1/member_service';
export * as recycleBinV1 from './generated/tagguard/tag/v1/recycle_bin_service';
export * as tagGovernanceV1 from './generated/tagguard/tag/v1/governance_service';
export * as tagAutomationV1 from './generated/tagguard/tag/v1/automation_service';
export * as timeMachineV1 from './generated/tagguard/tag/v1/time_machine_service';
export {
  parseTagIntegrationEventV1,
  TAG_EVENTS_TOPIC_V1,
  TAG_INTEGRATION_TYPES_V1,
  type TagIntegrationEventV1,
} from './integration/tag-events.v1';
export * as auditV1 from './generated/tagguard/audit/v1/audit_service';
export * as auditNotificationV1 from './generated/tagguard/audit/v1/notification_service';

export * as auditReportsV1 from './generated/tagguard/audit/v1/report_service';
export * as directoryV1 from './generated/tagguard/sync/v1/directory_service';
export * as connectorV1 from './generated/tagguard/sync/v1/connector_service';
export * as policyV1 from './generated/tagguard/permission/v1/policy_service';
export * as checkV1 from './generated/tagguard/permission/v1/check_service';
export * as analysisV1 from './generated/tagguard/permission/v1/analysis_service';
export * as downstreamV1 from './generated/tagguard/sync/v1/downstream_service';
export {
  directoryEventKeyV1,
  DIRECTORY_EVENTS_TOPIC_V1,
  DIRECTORY_INTEGRATION_TYPES_V1,
  parseDirectoryIntegrationEventV1,
  type CustomerFollowerV1,
  type CustomerV1,
  type DepartmentV1,
  type DirectoryIntegrationEventV1,
  type EmployeeStatusV1,
  type EmployeeV1,
  type PartnerEnterpriseV1,
  type PartnerRelationV1,
  type PartnerStaffV1,
} from './integration/directory-events.v1';
export {
  ACTIONS_V1,
  parsePermissionIntegrationEventV1,
  PERMISSION_EVENTS_TOPIC_V1,
  PERMISSION_INTEGRATION_TYPES_V1,
  permissionEventKeyV1,
  permissionPartitionKeyV1,
  type FreezeV1,
  type PermissionActionV1,
  type PermissionGroupV1,
  type PermissionIntegrationEventV1,
  type PermissionRuleV1,
  type PolicyResourceV1,
  type PolicySubjectV1,
  type RoleAssignmentV1,
  type RoleV1,
  type RuleOrderV1,
  type SensitiveWordV1,
} from './integration/permission-events.v1';
export {
  ACCESS_DENIED_INTEGRATION_TYPES_V1,
  accessDeniedTopicV1,
  DIRECTORY_ACCESS_DENIED_TOPIC_V1,
  parseAccessDeniedIntegrationEventV1,
  MUTE_ACCESS_DENIED_TOPIC_V1,
  PERMISSION_ACCESS_DENIED_TOPIC_V1,
  TAG_ACCESS_DENIED_TOPIC_V1,
  type AccessDeniedIntegrationEventV1,
  type AccessDeniedV1,
} from './integration/access-denied.v1';
export {
  CommerceEventError,
  MUTE_COMMERCE_EVENTS_TOPIC_V1,
  MUTE_COMMERCE_TYPES_V1,
  muteCommerceEventKeyV1,
  parseMuteCommerceEventV1,
  type MuteCommerceEventV1,
  type PurchaseCompletedV1,
  type StoreVisitedV1,
} from './integration/mute-commerce-events.v1';
export * as muteTypesV1 from './generated/tagguard/mute/v1/mute_types';
export * as muteRuleV1 from './generated/tagguard/mute/v1/rule_service';
export * as muteDecideV1 from './generated/tagguard/mute/v1/decide_service';
export * as muteFlowV1 from './generated/tagguard/mute/v1/flow_service';
export {
  MUTE_DELIVERIES_TOPIC_V1,
  MUTE_DELIVERY_V1,
  MUTE_EVENTS_TOPIC_V1,
  MUTE_INTEGRATION_TYPES_V1,
  MUTE_MESSAGE_RECEIVED_V1,
  MUTE_MESSAGES_TOPIC_V1,
  MuteMessageInvalidError,
  parseMuteIntegrationEventV1,
  parseMuteMessageV1,
  type MuteDeliveryV1,
  type MuteIntegrationEventV1,
  type MuteMessageV1,
  type MuteOutcomeV1,
  type MuteReasonV1,
  type MuteSenderV1,
} from './integration/mute-events.v1';
export {
  DOWNSTREAM_EVENTS_TOPIC_V1,
  DOWNSTREAM_INTEGRATION_TYPES_V1,
  parseDownstreamIntegrationEventV1,
  type DownstreamChannelV1,
  type DownstreamIntegrationEventV1,
} from './integration/downstream-events.v1';
export { parseRfc3339 } from './rfc3339';
