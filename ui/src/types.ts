// The shapes the engine sends and takes are generated from its Rust types
// (./generated.ts; a Rust test fails when they drift).
export type {
  Flag,
  GroupKind,
  Decision,
  Marks,
  GroupRef,
  Entry,
  GroupDetail,
  ListFilter,
  RootInfo,
  Status,
  Info,
  JobEvent,
  JobOptions,
  ApiError,
  PersonSummary,
  PersonFace,
  PersonDetail,
  Changed,
  EyesReport,
  FaceReport,
  ModelInfo,
  About,
  DataPlace,
  ModelLicence,
  ModelFile,
  PackageInfo,
  FetchReport,
  FetchedModel,
  Suggestion,
  Place,
  TagSummary,
  SavedSearch,
  PhotoTags,
  CalendarSpec,
  PrintCheck,
  CalendarChoice,
  CalendarSuggestion,
  Birthday,
  CalendarHoliday,
  CalendarSlot,
  CalendarView,
  SlotChange,
  Exported,
  ExportFailure,
  ExportReport,
  TasteView,
  TasteStatus,
  TasteModelInfo,
} from "./generated";
import type { ApiError } from "./generated";

export type JobKind = "scan" | "analyze" | "models" | "export";

/** The engine's stable error code (`invalid`, `not_found`, `model`, `cancelled`, `catalog`, `io`, `internal`, `busy`, `network`), if `e` is one of its errors. */
export function errorCode(e: unknown): string | null {
  return e && typeof e === "object" && "code" in e ? String((e as ApiError).code) : null;
}

export function errorText(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) {
    const a = e as ApiError;
    return a.code ? `${a.message} (${a.code})` : String(a.message);
  }
  return String(e);
}
