#pragma once
// Error / ErrorKind: the one way to report a failure anywhere in Cadenza. The http module maps
// ErrorKind to a status code and `fields` to the "errors" object of the JSON body.
#include <map>
#include <stdexcept>
#include <string>

namespace cadenza {

enum class ErrorKind {
  BadRequest,          // 400: malformed or invalid input (fields say which)
  Unauthorized,        // 401
  Forbidden,           // 403
  NotFound,            // 404
  MethodNotAllowed,    // 405
  Conflict,            // 409
  PayloadTooLarge,     // 413
  UriTooLong,          // 414: the request target is longer than server.target_limit
  UnsatisfiableRange,  // 416: a Range outside the file
  HeadersTooLarge,     // 431
  UnsupportedMedia,    // 415
  Unprocessable,       // 422: well-formed but inconsistent
  TooManyRequests,     // 429
  Internal,            // 500
  Unavailable,         // 503
};

int http_status(ErrorKind kind);
const char* to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  using Fields = std::map<std::string, std::string>;
  Error(ErrorKind kind, std::string message, Fields fields = {});
  ErrorKind kind() const { return kind_; }
  const Fields& fields() const { return fields_; }
  int status() const { return http_status(kind_); }
  // Seconds a client should wait (429/503); 0 when not set.
  int retry_after() const { return retry_after_; }
  Error& with_retry_after(int seconds) { retry_after_ = seconds; return *this; }

 private:
  ErrorKind kind_;
  Fields fields_;
  int retry_after_ = 0;
};

// Collects per-field validation problems and throws one BadRequest naming all of them.
class Validation {
 public:
  void fail(const std::string& field, const std::string& why);
  bool ok() const { return fields_.empty(); }
  bool has(const std::string& field) const { return fields_.count(field) > 0; }
  void throw_if_failed(const std::string& message = "Validation failed") const;

 private:
  Error::Fields fields_;
};

}  // namespace cadenza
