export { bumpContentVersion, readContentVersion, readSettings, writeSettings } from './settings-repository.ts';
export {
  DEFAULT_SETTINGS,
  isValidLanguageTag,
  isValidTimeZone,
  type SiteSettings,
  SettingsValidationError,
  validateSettings,
} from './site-settings.ts';
