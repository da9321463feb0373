#include "cadenza/core/error.hpp"

namespace cadenza {

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadRequest: return 400;
    case ErrorKind::Unauthorized: return 401;
    case ErrorKind::Forbidden: return 403;
    case ErrorKind::NotFound: return 404;
    case ErrorKind::MethodNotAllowed: return 405;
    case ErrorKind::Conflict: return 409;
    case ErrorKind::PayloadTooLarge: return 413;
    case ErrorKind::UriTooLong: return 414;
    case ErrorKind::UnsatisfiableRange: return 416;
    case ErrorKind::HeadersTooLarge: return 431;
    case ErrorKind::UnsupportedMedia: return 415;
    case ErrorKind::Unprocessable: return 422;
    case ErrorKind::TooManyRequests: return 429;
    case ErrorKind::Internal: return 500;
    case ErrorKind::Unavailable: return 503;
  }
  return 500;
}

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadRequest: return "bad_request";
    case ErrorKind::Unauthorized: return "unauthorized";
    case ErrorKind::Forbidden: return "forbidden";
    case ErrorKind::NotFound: return "not_found";
    case ErrorKind::MethodNotAllowed: return "method_not_allowed";
    case ErrorKind::Conflict: return "conflict";
    case ErrorKind::PayloadTooLarge: return "payload_too_large";
    case ErrorKind::UriTooLong: return "uri_too_long";
    case ErrorKind::UnsatisfiableRange: return "range_not_satisfiable";
    case ErrorKind::HeadersTooLarge: return "headers_too_large";
    case ErrorKind::UnsupportedMedia: return "unsupported_media_type";
    case ErrorKind::Unprocessable: return "unprocessable";
    case ErrorKind::TooManyRequests: return "too_many_requests";
    case ErrorKind::Internal: return "internal";
    case ErrorKind::Unavailable: return "unavailable";
  }
  return "internal";
}

Error::Error(ErrorKind kind, std::string message, Fields fields)
    : std::runtime_error(std::move(message)), kind_(kind), fields_(std::move(fields)) {}

void Validation::fail(const std::string& field, const std::string& why) {
  fields_.emplace(field, why);  // first reason per field wins
}

void Validation::throw_if_failed(const std::string& message) const {
  if (!fields_.empty()) throw Error(ErrorKind::BadRequest, message, fields_);
}

}  // namespace cadenza
