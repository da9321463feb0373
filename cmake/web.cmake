# web/ (Vite + TypeScript) -> embedded asset table -> static library cadenza_web_assets.
#
# Included from cmake/modules.cmake (project mode) it declares the build steps; run with
# `cmake -DWEB_ACTION=<build|generate> ... -P cmake/web.cmake` (script mode) it performs them.
#
#   1. build:    npm run build, written to <build>/web/dist (one output per build dir, so build dirs
#                never race on web/dist); `npm ci` first when web/node_modules is missing.
#   2. generate: every file of the dist folder -> <build>/web/web_assets_data.cpp (path, content type,
#                strong ETag from SHA-256, immutable flag for assets/*, body as a string literal).
#
# Where the app comes from, decided at configure time:
#   CADENZA_BUILD_WEB=ON (the default)   -> built by step 1 (reruns only when a web source changes);
#                                           without Node.js >= 18 and npm, configuring fails and says why
#   CADENZA_BUILD_WEB=OFF                -> web/dist as it is when web/dist/index.html exists,
#                                           otherwise a generated page saying the web app was not built
# A placeholder page is embedded only on request (OFF), never because a tool is missing or failed.

if(CMAKE_SCRIPT_MODE_FILE)
  # ------------------------------------------------------------------------------ script mode
  function(_web_fallback_page dir)
    file(MAKE_DIRECTORY "${dir}")
    file(WRITE "${dir}/index.html" [=[<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cadenza</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5">
<h1>Cadenza</h1>
<p>The web app was not built into this binary (it was configured with -DCADENZA_BUILD_WEB=OFF).
The JSON API under <code>/api</code> works as usual.</p>
<p>To include the app: install Node.js and npm, run <code>scripts/setup</code>, and rebuild with
<code>-DCADENZA_BUILD_WEB=ON</code>; or serve a built copy with <code>--web-dir web/dist</code>.</p>
</body></html>
]=])
  endfunction()

  function(_web_content_type path out)
    string(REGEX MATCH "[^.]*$" ext "${path}")
    string(TOLOWER "${ext}" ext)
    set(t "application/octet-stream")
    if(ext STREQUAL "html" OR ext STREQUAL "htm")
      set(t "text/html; charset=utf-8")
    elseif(ext STREQUAL "js" OR ext STREQUAL "mjs")
      set(t "text/javascript; charset=utf-8")
    elseif(ext STREQUAL "css")
      set(t "text/css; charset=utf-8")
    elseif(ext STREQUAL "json" OR ext STREQUAL "map")
      set(t "application/json")
    elseif(ext STREQUAL "webmanifest")
      set(t "application/manifest+json")
    elseif(ext STREQUAL "svg")
      set(t "image/svg+xml")
    elseif(ext STREQUAL "png")
      set(t "image/png")
    elseif(ext STREQUAL "jpg" OR ext STREQUAL "jpeg")
      set(t "image/jpeg")
    elseif(ext STREQUAL "gif")
      set(t "image/gif")
    elseif(ext STREQUAL "webp")
      set(t "image/webp")
    elseif(ext STREQUAL "avif")
      set(t "image/avif")
    elseif(ext STREQUAL "ico")
      set(t "image/x-icon")
    elseif(ext STREQUAL "woff2")
      set(t "font/woff2")
    elseif(ext STREQUAL "woff")
      set(t "font/woff")
    elseif(ext STREQUAL "ttf")
      set(t "font/ttf")
    elseif(ext STREQUAL "otf")
      set(t "font/otf")
    elseif(ext STREQUAL "wasm")
      set(t "application/wasm")
    elseif(ext STREQUAL "txt")
      set(t "text/plain; charset=utf-8")
    elseif(ext STREQUAL "xml")
      set(t "application/xml")
    elseif(ext STREQUAL "mp3")
      set(t "audio/mpeg")
    elseif(ext STREQUAL "wav")
      set(t "audio/wav")
    elseif(ext STREQUAL "ogg" OR ext STREQUAL "oga")
      set(t "audio/ogg")
    elseif(ext STREQUAL "opus")
      set(t "audio/opus")
    elseif(ext STREQUAL "flac")
      set(t "audio/flac")
    elseif(ext STREQUAL "mid" OR ext STREQUAL "midi")
      set(t "audio/midi")
    elseif(ext STREQUAL "pdf")
      set(t "application/pdf")
    endif()
    set(${out} "${t}" PARENT_SCOPE)
  endfunction()

  if(WEB_ACTION STREQUAL "build")
    # Inputs: WEB_DIR, NPM, OUT_DIR, STAMP.
    # npm ci when web/node_modules is missing or older than the lock file.
    if(NOT EXISTS "${WEB_DIR}/node_modules/.package-lock.json"
       OR "${WEB_DIR}/package-lock.json" IS_NEWER_THAN "${WEB_DIR}/node_modules/.package-lock.json")
      message(STATUS "web: installing web/node_modules (npm ci)")
      execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
                      WORKING_DIRECTORY "${WEB_DIR}" RESULT_VARIABLE rc)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "web: `npm ci` in web/ failed (${rc}), so the web app cannot be built. "
                            "Check that the npm registry is reachable (or run scripts/setup), "
                            "or configure with -DCADENZA_BUILD_WEB=OFF to embed a placeholder page.")
      endif()
    endif()
    execute_process(COMMAND "${NPM}" run build --silent -- --outDir "${OUT_DIR}" --emptyOutDir --logLevel warn
                    WORKING_DIRECTORY "${WEB_DIR}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "web: `npm run build` failed (${rc}); fix web/ or configure with -DCADENZA_BUILD_WEB=OFF")
    endif()
    if(NOT EXISTS "${OUT_DIR}/index.html")
      message(FATAL_ERROR "web: the build wrote no ${OUT_DIR}/index.html")
    endif()
    file(TOUCH "${STAMP}")
    return()
  endif()

  if(WEB_ACTION STREQUAL "generate")
    # Inputs: DIST (folder to embed; if it has no index.html a placeholder is generated into
    # FALLBACK_DIR and embedded instead), FALLBACK_DIR, OUT (the .cpp to write).
    if(NOT EXISTS "${DIST}/index.html")
      file(REMOVE_RECURSE "${FALLBACK_DIR}")
      _web_fallback_page("${FALLBACK_DIR}")
      set(DIST "${FALLBACK_DIR}")
    endif()
    file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE "${DIST}" "${DIST}/*")
    list(SORT files)
    set(bodies "")
    set(table "")
    set(i 0)
    foreach(rel IN LISTS files)
      if(rel MATCHES "(^|/)\\.")  # dotfiles (.DS_Store, .vite/) are not served
        continue()
      endif()
      if(rel MATCHES "[\"\\\\]")
        message(WARNING "web: skipping ${rel} (quote or backslash in its name)")
        continue()
      endif()
      set(f "${DIST}/${rel}")
      file(SIZE "${f}" size)
      file(SHA256 "${f}" sha)
      string(SUBSTRING "${sha}" 0 20 etag)
      _web_content_type("${rel}" type)
      set(immutable false)
      if(rel MATCHES "^assets/")
        set(immutable true)
      endif()
      if(size EQUAL 0)
        set(lit "\"\"")
      else()
        file(READ "${f}" hex HEX)
        # 16 bytes a line, every byte as \xHH (fixed width, so no escape can run into the next).
        string(REGEX REPLACE "([0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])" "\\1\n" hex "${hex}")
        string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" hex "${hex}")
        string(REGEX REPLACE "\n$" "" hex "${hex}")
        string(REPLACE "\n" "\"\n    \"" hex "${hex}")
        set(lit "\"${hex}\"")
      endif()
      string(APPEND bodies "// ${rel} (${size} bytes)\nconstexpr char body_${i}[] =\n    ${lit};\n\n")
      string(APPEND table "    {\"${rel}\", \"${type}\", \"\\\"${etag}\\\"\", std::string_view(body_${i}, ${size}), ${immutable}},\n")
      math(EXPR i "${i} + 1")
    endforeach()
    set(src "// Generated by cmake/web.cmake from ${DIST}: do not edit.\n")
    string(APPEND src "#include \"cadenza/http/web_assets.hpp\"\n\n#include <cstddef>\n#include <string_view>\n\n")
    string(APPEND src "namespace cadenza::http::detail {\nnamespace {\n\n${bodies}}  // namespace\n\n")
    string(APPEND src "// Sorted by path.\nextern const WebAsset web_asset_table[];\nconstinit const WebAsset web_asset_table[] = {\n${table}")
    string(APPEND src "    {{}, {}, {}, {}, false},  // sentinel, keeps the array non-empty\n};\n")
    string(APPEND src "extern const std::size_t web_asset_table_size;\nconstinit const std::size_t web_asset_table_size = ${i};\n\n}  // namespace cadenza::http::detail\n")
    # Write only on change, so an identical web build recompiles nothing.
    set(tmp "${OUT}.tmp")
    file(WRITE "${tmp}" "${src}")
    file(COPY_FILE "${tmp}" "${OUT}" ONLY_IF_DIFFERENT)
    file(REMOVE "${tmp}")
    return()
  endif()

  message(FATAL_ERROR "web.cmake: unknown WEB_ACTION '${WEB_ACTION}'")
endif()

# -------------------------------------------------------------------------------- project mode
set(_web_dir "${PROJECT_SOURCE_DIR}/web")
set(_web_gen "${CMAKE_BINARY_DIR}/web")
set(_web_script "${CMAKE_CURRENT_LIST_FILE}")
set(_web_cpp "${_web_gen}/web_assets_data.cpp")
file(MAKE_DIRECTORY "${_web_gen}")

if(CADENZA_BUILD_WEB)
  # Building the app is the default, and a build that cannot do it stops here with the reason.
  string(CONCAT _web_fix "Install Debian's nodejs and npm (`apt-get install nodejs npm`, or run scripts/setup), "
                "or configure with -DCADENZA_BUILD_WEB=OFF to embed a placeholder page instead of the app.")
  find_program(CADENZA_NODE NAMES node nodejs)
  find_program(CADENZA_NPM npm)
  if(NOT CADENZA_NODE OR NOT CADENZA_NPM)
    message(FATAL_ERROR "web: CADENZA_BUILD_WEB is ON but Node.js or npm was not found (node: ${CADENZA_NODE}, "
                        "npm: ${CADENZA_NPM}). ${_web_fix}")
  endif()
  execute_process(COMMAND "${CADENZA_NODE}" -p "process.versions.node"
                  OUTPUT_VARIABLE _web_node_version OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0 OR _web_node_version VERSION_LESS 18.13)
    message(FATAL_ERROR "web: web/ needs Node.js 18.13 or later (found '${_web_node_version}' at ${CADENZA_NODE}). ${_web_fix}")
  endif()
  if(NOT EXISTS "${_web_dir}/package.json")
    message(FATAL_ERROR "web: CADENZA_BUILD_WEB is ON but ${_web_dir}/package.json is missing")
  endif()
  message(STATUS "web: Node.js ${_web_node_version} (${CADENZA_NODE}), npm ${CADENZA_NPM}")
  set(_web_mode "npm")
elseif(EXISTS "${_web_dir}/dist/index.html")
  set(_web_mode "dist")
else()
  set(_web_mode "fallback")
endif()

if(_web_mode STREQUAL "npm")
  set(_web_dist "${_web_gen}/dist")
  set(_web_stamp "${_web_gen}/dist.stamp")
  file(GLOB_RECURSE _web_inputs CONFIGURE_DEPENDS
       "${_web_dir}/src/*" "${_web_dir}/public/*")
  foreach(f index.html package.json package-lock.json vite.config.ts vite.config.js svelte.config.js tsconfig.json .npmrc)
    if(EXISTS "${_web_dir}/${f}")
      list(APPEND _web_inputs "${_web_dir}/${f}")
    endif()
  endforeach()
  add_custom_command(
    OUTPUT "${_web_stamp}"
    COMMAND "${CMAKE_COMMAND}" -DWEB_ACTION=build "-DWEB_DIR=${_web_dir}" "-DNPM=${CADENZA_NPM}"
            "-DOUT_DIR=${_web_dist}" "-DSTAMP=${_web_stamp}" -P "${_web_script}"
    DEPENDS ${_web_inputs} "${_web_script}"
    COMMENT "Building web/ (npm run build)"
    VERBATIM)
  set(_web_gen_deps "${_web_stamp}")
elseif(_web_mode STREQUAL "dist")
  set(_web_dist "${_web_dir}/dist")
  file(GLOB_RECURSE _web_gen_deps CONFIGURE_DEPENDS "${_web_dist}/*")
else()
  set(_web_dist "${_web_gen}/no-dist")  # absent: the generator embeds the placeholder page
  set(_web_gen_deps "")
endif()
message(STATUS "web: embedding ${_web_mode} (${_web_dist})")

add_custom_command(
  OUTPUT "${_web_cpp}"
  COMMAND "${CMAKE_COMMAND}" -DWEB_ACTION=generate "-DDIST=${_web_dist}" "-DFALLBACK_DIR=${_web_gen}/fallback"
          "-DOUT=${_web_cpp}" -P "${_web_script}"
  DEPENDS ${_web_gen_deps} "${_web_script}"
  COMMENT "Generating embedded web asset table"
  VERBATIM)

add_library(cadenza_web_assets STATIC "${PROJECT_SOURCE_DIR}/src/web_assets/web_assets.cpp" "${_web_cpp}")
target_include_directories(cadenza_web_assets PUBLIC "${PROJECT_SOURCE_DIR}/include")
target_link_libraries(cadenza_web_assets PRIVATE cadenza_warnings)
list(APPEND CADENZA_ALL_MODULES cadenza_web_assets)
