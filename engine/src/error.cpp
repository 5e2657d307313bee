#include "poet/engine/error.h"

namespace poet {

std::string_view kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::input:
      return "input";
    case ErrorKind::file:
      return "file";
    case ErrorKind::model:
      return "model";
    case ErrorKind::plugin:
      return "plugin";
    case ErrorKind::training:
      return "training";
    case ErrorKind::limit:
      return "limit";
    case ErrorKind::stopped:
      return "stopped";
  }
  return "unknown";
}

}  // namespace poet
