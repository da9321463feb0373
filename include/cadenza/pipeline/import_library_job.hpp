#pragma once
// The "import_library" job kind (batch lane): a scan of a folder of the server's music library into the
// tenant's tracks (pipeline/library_import.hpp), submitted by POST /api/admin/library/scan (admins only).
//   payload  {"path": "<folder>", "force": false}   the folder, inside library.root (checked again when it runs)
//   result   the scan's counts: files, read, added, updated, unchanged, removed, failed, featuresChanged,
//            failures [{path, reason}], removedPaths, audioSeconds, seconds, modeFrom
// Progress: stages listing, reading, mapping, done. The transcriber (for the mode) is loaded once per process
// when library.transcribe_s > 0; when it cannot be loaded the scan falls back to the chroma.
#include <filesystem>

#include "cadenza/jobs/job_kind.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/transcribe/transcriber.hpp"

namespace cadenza::pipeline {

struct ImportLibraryDeps {
  store::TenantDbs& tenants;
  std::filesystem::path root;  // library.root; empty: every job fails (the route answers 409 first)
  double transcribe_s = 30;    // library.transcribe_s; 0: the mode from the chroma
  transcribe::TranscriberOptions model;
};

inline constexpr const char* kImportLibraryKind = "import_library";
jobs::JobKind import_library_kind(ImportLibraryDeps deps);

// The folder `requested` names (absolute, or relative to root), canonical, when it lies inside root (root
// itself included). Error(Conflict) naming library.root when root is empty; Error(BadRequest) naming "path"
// when it is outside; Error(NotFound) when no such folder exists.
std::filesystem::path library_folder(const std::filesystem::path& root, const std::string& requested);

}  // namespace cadenza::pipeline
