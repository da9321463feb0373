#pragma once
#include <string_view>

namespace cadenza::http {

// The OpenAPI 3.1 description of the API (src/http/openapi.json, embedded at build time).
std::string_view openapi_document();

}  // namespace cadenza::http
