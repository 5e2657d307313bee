// What an isolated plugin's process sends poet, as poet reads it: that process runs the plugin's
// own code, so any bytes may arrive. A library's descriptions are read and then each checked as a descriptor is
// in process; a poem order is read as the runner reads poet's. Nothing may crash, and a
// description that passes must be one read_descriptor() would give.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "plugins/decoder_descriptor.h"
#include "plugins/isolation_protocol.h"
#include "poet/engine/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data),
                                     reinterpret_cast<const std::byte*>(data) + size);
  try {
    poet::MessageReader message(bytes);
    if (message.kind() == poet::MessageKind::described) {
      for (const poet::DecoderDescription& read : poet::read_descriptions(message)) {
        const poet::DecoderDescription description = poet::check_description(read);
        // Checked once, it passes again unchanged.
        if (poet::check_description(description).params.size() != description.params.size())
          __builtin_trap();
      }
    } else {
      poet::read_poem_order(message);
    }
  } catch (const poet::ProtocolError&) {
  } catch (const poet::Error&) {
  }
  return 0;
}
