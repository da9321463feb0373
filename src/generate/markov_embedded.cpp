// models/markov.bin inside the binary (cmake/modules.cmake defines CADENZA_MARKOV_BIN when the file exists), so
// `cadenza serve` has its generator wherever it runs from.
#include <string_view>

#include "cadenza/generate/markov.hpp"

#ifdef CADENZA_MARKOV_BIN
__asm__(".section .rodata\n"
        ".balign 16\n"
        "cadenza_markov_bin_begin:\n"
        ".incbin \"" CADENZA_MARKOV_BIN "\"\n"
        "cadenza_markov_bin_end:\n"
        ".previous\n");
extern "C" {
extern const char cadenza_markov_bin_begin[] __asm__("cadenza_markov_bin_begin");
extern const char cadenza_markov_bin_end[] __asm__("cadenza_markov_bin_end");
}
#endif

namespace cadenza::generate {

std::string_view embedded_markov_model() {
#ifdef CADENZA_MARKOV_BIN
  return {cadenza_markov_bin_begin, std::size_t(cadenza_markov_bin_end - cadenza_markov_bin_begin)};
#else
  return {};
#endif
}

}  // namespace cadenza::generate
