// poet-decoder-runner: one decoder plugin in a process of its own, so that its crash, hang or
// runaway allocation costs this process and not poet (engine/src/isolation.h starts it).
//
//   poet-decoder-runner probe|serve PLUGIN MEMORY_BYTES DECODER
//
// with poet's socket on fd 3 (isolation_protocol.h), MEMORY_BYTES the address space the plugin
// may add to what the runner holds, poet's shared tables included, and DECODER which of the
// library's decoders serve writes with (0: its entry's). Both load the plugin and report what it
// describes (probe every decoder of the library, serve its one), or why it is refused; probe then
// ends, and serve writes the poems poet asks for until poet says quit or goes away. It links no
// LibTorch, so it starts in milliseconds.

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>

#include "plugins/decoder_calls.h"
#include "plugins/decoder_descriptor.h"
#include "plugins/isolation_protocol.h"
#include "plugins/runner/confinement.h"
#include "plugins/runner/remote_calls.h"
#include "poet/engine/error.h"
#include "poet/engine/files/limits.h"

// Read by AddressSanitizer's runtime alone, in a sanitized build: a plugin's crash must end this
// process by its signal, so that poet can name it, and an allocation past the memory limit must
// fail as malloc() fails, not as a sanitizer's report.
extern "C" const char* __asan_default_options() {
  return "handle_segv=0:handle_sigbus=0:handle_abort=0:allocator_may_return_null=1";
}

namespace poet {
namespace {

// The plugin gets stdin, stdout, stderr and poet's socket, none of what else poet had open.
void close_inherited_fds() { ::close_range(kRunnerSocketFd + 1, ~0U, 0); }

// Ends this process when poet goes away, even while the plugin is busy and never calls it.
void follow_poet() {
  std::thread([] {
    pollfd poet{kRunnerSocketFd, 0, 0};  // no events: poll() returns only once the socket hangs up
    while (::poll(&poet, 1, -1) <= 0) {
    }
    ::_exit(1);
  }).detach();
}

void send(const MessageWriter& message) {
  if (!send_message(kRunnerSocketFd, message)) ::_exit(1);  // poet is gone
}

// One poem, as a decode message asks for it: sets up what the message brings and runs the
// plugin through `instance`. False when this process cannot go on.
bool write_poem(MessageReader& message, Packet& packet, ModelTables& tables,
                DecoderInstance& instance) {
  if (message.get<std::uint8_t>() != 0) {
    const auto layout = message.get<RegionLayout>();
    try {
      tables.map(std::move(packet.passed), layout);
    } catch (const std::system_error& error) {
      // The poem fails with the reason, and the next one starts a fresh process.
      send(MessageWriter(MessageKind::fail)
               .put_string(fmt::format("its process could not map poet's {} of tables: {}",
                                       describe_bytes(layout.size), error.what())));
      send(MessageWriter(MessageKind::done).put<int32_t>(POET_ERROR).put<poet_state>(-1));
      return false;
    }
  }
  if (!tables.mapped()) return false;
  const PoemOrder order = read_poem_order(message);
  RemoteCalls calls(kRunnerSocketFd, tables, order);
  const HostTable table(calls);
  poet_request request{};
  request.start = order.start;
  request.heads = order.heads.data();
  request.head_count = order.heads.size();
  request.params = order.params.data();
  request.poem_index = order.poem_index;
  request.poem_count = order.poem_count;
  poet_state result = -1;
  const int32_t status =
      instance.prepare_and_decode(table.host(), &request, order.model_serial, &result);
  send(MessageWriter(MessageKind::done).put(status).put(result));
  return true;
}

// Writes poems until poet says quit; the instance is destroyed on the way out.
int serve(const OpenedPlugin& plugin) {
  const poet_decoder descriptor = normalised_descriptor(*plugin.descriptor);
  DecoderInstance instance(descriptor);
  ModelTables tables;
  Packet packet;
  try {
    while (receive_message(kRunnerSocketFd, packet)) {
      MessageReader message(packet.bytes);
      if (message.kind() == MessageKind::quit) return 0;
      if (message.kind() != MessageKind::decode || !write_poem(message, packet, tables, instance))
        return 1;
    }
  } catch (const ProtocolError&) {
  }
  return 1;
}

// Ctrl-C and Ctrl-\ are poet's: it tells a plugin of Ctrl-C through cancelled(). Ignoring them
// drops one that reached this process while poet started it (spawned with both blocked).
void ignore_terminal_signals() {
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGQUIT, SIG_IGN);
  sigset_t terminal_signals;
  ::sigemptyset(&terminal_signals);
  ::sigaddset(&terminal_signals, SIGINT);
  ::sigaddset(&terminal_signals, SIGQUIT);
  ::sigprocmask(SIG_UNBLOCK, &terminal_signals, nullptr);
}

int run(std::string_view mode, const char* plugin_file, const char* memory, const char* decoder) {
  ignore_terminal_signals();
  close_inherited_fds();
  confine(kRunnerSocketFd);
  follow_poet();
  limit_address_space(std::strtoull(memory, nullptr, 10));
  std::optional<OpenedPlugin> plugin;  // the one serve writes with
  MessageWriter description(MessageKind::described);
  try {
    std::vector<OpenedPlugin> library = open_library(plugin_file);
    std::vector<DecoderDescription> described;
    if (mode == "probe") {
      for (const OpenedPlugin& each : library) {
        start_plugin(each);
        described.push_back(each.description);
      }
    } else {
      const auto index = std::strtoull(decoder, nullptr, 10);
      if (index >= library.size())
        throw Error::plugin(fmt::format("it no longer holds a decoder {}", index + 1));
      plugin = std::move(library[index]);
      start_plugin(*plugin);
      described.push_back(plugin->description);
    }
    write_descriptions(description, described);
    if (description.bytes().size() > kMaxMessage)
      throw Error::plugin(fmt::format("it describes itself in more than {} bytes", kMaxMessage));
  } catch (const Error& refusal) {
    send(MessageWriter(MessageKind::refused).put_string(refusal.what()));
    return 0;
  }
  send(description);
  return mode == "serve" ? serve(*plugin) : 0;
}

}  // namespace
}  // namespace poet

int main(int argc, char** argv) {
  const std::string_view mode = argc == 5 ? argv[1] : "";
  if (mode != "probe" && mode != "serve") {
    std::fputs(
        "usage: poet-decoder-runner probe|serve PLUGIN MEMORY_BYTES DECODER (started by poet, "
        "with its socket on fd 3)\n",
        stderr);
    return 2;
  }
  return poet::run(mode, argv[2], argv[3], argv[4]);
}
