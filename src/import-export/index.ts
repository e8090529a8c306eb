export type { ContentBundle } from './content-bundle.ts';
export { type ExportReport, exportContent, isoWithOffset } from './export-content.ts';
export { ContentFileError } from './front-matter.ts';
export { type ImportReport, importContent } from './import-content.ts';
export {
  ContentFolderError,
  type ProgressListener,
  readContentFolder,
} from './read-content-folder.ts';
