#include "cadenza/core/file_modes.hpp"

#include <sys/stat.h>

namespace cadenza {

void use_private_file_modes() { ::umask(077); }

}  // namespace cadenza
