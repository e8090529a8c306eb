export {
  bumpContentVersion,
  readContentVersion,
  readSettings,
  writeSettings,
} from './settings-repository.ts';
export {
  DEFAULT_SETTINGS,
  isValidLanguageTag,
  isValidTimeZone,
  SettingsValidationError,
  type SiteSettings,
  validateSettings,
} from './site-settings.ts';
