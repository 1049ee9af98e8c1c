export { startWeComSandbox, type WeComSandbox, type WeComSandboxOptions } from './wecom-sandbox.server';
export { CorpAdmin, type CorpConfig, type PlantedFault } from './corp-admin';
export { eventXml, sealEnvelope, type CallbackDelivery, type CallbackTarget } from './callbacks';
export { WECOM_DOCUMENTED_LIMITS, type RateWindow } from './rate-limiter';
export { generateDirectory, type GenerateOptions } from './generate-directory';
export { demoDirectory } from './demo-directory';
export * from './sandbox-directory';
export {
  ExmailState,
  EXMAIL_ROUTES,
  type ExmailUser,
  type ExmailGroup,
  type ExmailDepartment,
} from './exmail';
export { CorpTagState, type CorpTag, type CorpTagGroup } from './corp-tags';
export { type SentAppMessage } from './app-messages';
