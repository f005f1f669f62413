// Store errors: what the API layer maps to HTTP answers, without seeing any SOCI type.
//
// Every failure leaving opdesk_store is a StoreError (or a subtype) whose message is safe to
// show an administrator (no SQL, no passwords):
//   Unavailable      → 503: the database cannot be reached ("database unavailable: <reason>")
//                      or is full ("disk full"); `retryable()` is true.
//   Conflict         → 409: a unique value is taken; field() names it (username, extension, ...).
//   NotFound         → 404: the row does not exist; field() names the entity ("user", "group").
//   ValidationError  → 400: a value is out of range; field() names the offending field.
// Anything else (a bug, a broken schema) is a plain StoreError → 500.
#pragma once

#include <stdexcept>
#include <string>

namespace opdesk::store {

class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& message) : std::runtime_error(message) {}
};

class Unavailable : public StoreError {
 public:
  explicit Unavailable(const std::string& message) : StoreError(message) {}
};

class FieldError : public StoreError {
 public:
  FieldError(std::string field, const std::string& message)
      : StoreError(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

class Conflict : public FieldError {
 public:
  using FieldError::FieldError;
};

class NotFound : public FieldError {
 public:
  using FieldError::FieldError;
};

class ValidationError : public FieldError {
 public:
  using FieldError::FieldError;
};

}  // namespace opdesk::store
