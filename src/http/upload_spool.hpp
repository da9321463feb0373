#pragma once
// An upload route's body on its way to disk: the raw body, or the part named "file" of a
// multipart/form-data body, is written to a blob-store spool file and hashed while it arrives; the form's
// other parts are short text fields. Beast-free. Pieces come one after the other (never on an IO thread:
// they cost disk writes); finish() once the body is complete gives the handler's Upload. The spool file
// goes with this object unless the handler moved it into the blob store.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cadenza/http/message.hpp"
#include "multipart.hpp"

namespace cadenza::store {
class BlobStore;
class SpoolFile;
}  // namespace cadenza::store

namespace cadenza::http {

class UploadSpool {
 public:
  static constexpr std::size_t kFieldBytes = 1024;  // longest text field
  static constexpr std::size_t kFields = 16;        // most text fields

  // `content_type`: the request's. Error(BadRequest) for multipart/form-data without a valid boundary.
  // Touches no disk (the spool file is created by the first write or by finish).
  UploadSpool(store::BlobStore& blobs, std::string_view content_type);
  ~UploadSpool();
  UploadSpool(const UploadSpool&) = delete;
  UploadSpool& operator=(const UploadSpool&) = delete;

  // The next piece of the body. Error(BadRequest) for a malformed form (naming the field), Error(Internal)
  // when the disk refuses.
  void write(std::string_view piece);
  // The body is complete. Error(BadRequest) when a form ends early.
  Upload finish();

 private:
  void begin_part(const PartHeaders& h);
  void part_data(std::string_view bytes);
  void end_part();
  store::SpoolFile& file();

  store::BlobStore& blobs_;
  std::unique_ptr<store::SpoolFile> file_;
  std::optional<MultipartParser> form_;
  Upload out_;
  enum class Part { None, File, Field } part_ = Part::None;
  std::string field_name_, field_value_;
};

}  // namespace cadenza::http
