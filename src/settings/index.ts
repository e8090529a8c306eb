export {
  bumpContentVersion,
  CONTENT_CHANNEL,
  readContentVersion,
  readSettings,
  writeSettings,
} from './settings-repository.ts';
export {
  knownLabels,
  labelsToText,
  parseSettingsDraft,
  type SettingsDraft,
  type SettingsEditor,
  SettingsForbiddenError,
  SettingsInputError,
  settingsDraftOf,
  timeZoneOptions,
  updateSettings,
} from './settings-service.ts';
export {
  DEFAULT_SETTINGS,
  isValidLanguageTag,
  isValidTimeZone,
  SettingsValidationError,
  type SiteSettings,
  validateSettings,
} from './site-settings.ts';
