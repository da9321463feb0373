#include "upload_spool.hpp"

#include "cadenza/core/error.hpp"
#include "cadenza/store/blob_store.hpp"
#include "cadenza/store/spool_file.hpp"

namespace cadenza::http {

UploadSpool::UploadSpool(store::BlobStore& blobs, std::string_view content_type) : blobs_(blobs) {
  out_.content_type = std::string(content_type);
  if (auto boundary = multipart_boundary(content_type)) {
    out_.multipart = true;
    out_.has_file = false;
    out_.content_type.clear();
    form_.emplace(*boundary, MultipartParser::Callbacks{[this](const PartHeaders& h) { begin_part(h); },
                                                        [this](std::string_view b) { part_data(b); },
                                                        [this] { end_part(); }});
  }
}

UploadSpool::~UploadSpool() = default;

store::SpoolFile& UploadSpool::file() {
  if (!file_) file_ = blobs_.spool();
  return *file_;
}

void UploadSpool::write(std::string_view piece) {
  if (form_) return form_->feed(piece);
  file().write(piece);
}

Upload UploadSpool::finish() {
  if (form_) {
    form_->finish();
    if (!out_.has_file)
      throw Error(ErrorKind::BadRequest, "Validation failed", {{"file", "the form has no part named file"}});
  }
  auto& f = file();
  out_.sha256 = f.finish();
  out_.size = f.size();
  out_.path = f.path().string();
  return out_;
}

void UploadSpool::begin_part(const PartHeaders& h) {
  if (h.name == "file") {
    if (out_.has_file) throw Error(ErrorKind::BadRequest, "Validation failed", {{"file", "more than one part named file"}});
    out_.has_file = true;
    out_.filename = h.filename.value_or("");
    out_.content_type = h.content_type;
    file();  // an empty file part still makes a file
    part_ = Part::File;
    return;
  }
  if (out_.fields.count(h.name))
    throw Error(ErrorKind::BadRequest, "Validation failed", {{h.name, "the form has this field twice"}});
  if (out_.fields.size() >= kFields)
    throw Error(ErrorKind::BadRequest, "Validation failed",
                {{"body", "more than " + std::to_string(kFields) + " form fields besides the file"}});
  part_ = Part::Field;
  field_name_ = h.name;
  field_value_.clear();
}

void UploadSpool::part_data(std::string_view bytes) {
  if (part_ == Part::File) return file().write(bytes);
  if (field_value_.size() + bytes.size() > kFieldBytes)
    throw Error(ErrorKind::BadRequest, "Validation failed",
                {{field_name_, "longer than " + std::to_string(kFieldBytes) +
                                   " bytes (the file goes in the part named file)"}});
  field_value_.append(bytes);
}

void UploadSpool::end_part() {
  if (part_ == Part::Field) out_.fields.emplace(field_name_, std::move(field_value_));
  field_name_.clear();
  field_value_.clear();
  part_ = Part::None;
}

}  // namespace cadenza::http
