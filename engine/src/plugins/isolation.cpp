#include "plugins/isolation.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "plugins/runner_process.h"
#include "poet/engine/error.h"
#include "poet/engine/files/limits.h"
#include "poet/engine/text/text.h"

namespace poet {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kCancelGrace{1000};  // for a plugin to return once Ctrl-C is pressed
constexpr milliseconds kQuitGrace{1000};    // for a process to end by itself: destroy(), exit

// "SIGSEGV, segmentation fault"
std::string describe_signal(int signal) {
  const char* name = ::sigabbrev_np(signal);
  const char* described = ::sigdescr_np(signal);
  if (name == nullptr || described == nullptr) return fmt::format("signal {}", signal);
  std::string description = described;
  for (char& c : description) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return fmt::format("SIG{}, {}", name, description);
}

// "30 s", "0.5 s"
std::string seconds(milliseconds duration) {
  return fmt::format("{:g} s", static_cast<double>(duration.count()) / 1000);
}

}  // namespace

namespace {

// What ended a runner: "crashed (SIGSEGV, segmentation fault)", "exited (status 1)", with `when`
// after the verb, and where it had used about all its memory, "at its memory limit of 256.0 MB".
std::string describe_end(const RunnerProcess::End& end, std::uint64_t memory_limit,
                         std::string_view when) {
  std::string text =
      WIFSIGNALED(end.status)
          ? fmt::format("crashed{} ({})", when, describe_signal(WTERMSIG(end.status)))
          : fmt::format("exited{} (status {})", when, WEXITSTATUS(end.status));
  // A plugin that runs out of address space dies however it handles a failed allocation; what
  // shows is that its resident memory came close to the limit.
  if (end.max_rss >= memory_limit / 10 * 9)
    text += fmt::format(" at its memory limit of {}", describe_bytes(memory_limit));
  return text;
}

// "wrote 14 bytes to its output: segfault ahead".
std::string describe_output(const RunnerProcess::Output& output) {
  return fmt::format("wrote {} byte{} to its output: {}", output.bytes, output.bytes == 1 ? "" : "s",
                     printable(output.start, 200));
}

// "; it wrote ...", or nothing where it wrote nothing: what a plugin said before it failed.
std::string last_words(const RunnerProcess::Output& output) {
  return output.bytes == 0 ? "" : "; it " + describe_output(output);
}

}  // namespace

fs::path decoder_runner() {
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error) return "poet-decoder-runner";
  return (executable.parent_path() / POET_RUNNER_RELATIVE_DIR / "poet-decoder-runner")
      .lexically_normal();
}

// ---- loading -------------------------------------------------------------------------------

std::vector<DecoderDescription> probe_plugin(const fs::path& runner, const fs::path& plugin,
                                             const IsolationLimits& limits) {
  try {
    RunnerProcess process(runner, "probe", plugin, limits.memory_bytes);
    Packet packet;
    switch (process.receive(packet, Clock::now() + limits.silence, nullptr)) {
      case RunnerProcess::Heard::message:
        break;
      case RunnerProcess::Heard::closed: {
        const std::string end =
            describe_end(process.finish(kQuitGrace), limits.memory_bytes, " while loading");
        throw Error::plugin(end + last_words(process.take_output()));
      }
      default:
        process.finish(milliseconds(0));
        throw Error::plugin(
            fmt::format("did not finish loading in {} and was stopped{}", seconds(limits.silence),
                        last_words(process.take_output())));
    }
    MessageReader message(packet.bytes);
    if (message.kind() == MessageKind::refused) {
      const std::string refusal = printable(message.get_string());
      process.finish(kQuitGrace);
      throw Error::plugin(refusal + last_words(process.take_output()));
    }
    if (message.kind() != MessageKind::described) throw ProtocolError("it did not describe itself");
    std::vector<DecoderDescription> descriptions;
    for (const DecoderDescription& description : read_descriptions(message))
      descriptions.push_back(check_description(description));
    if (descriptions.empty()) throw ProtocolError("it described no decoder");
    process.finish(kQuitGrace);
    return descriptions;
  } catch (const ProtocolError& error) {
    throw Error::plugin(fmt::format("broke poet's protocol while loading: {}", error.what()));
  }
}

// ---- poems ---------------------------------------------------------------------------------

IsolatedDecoder::IsolatedDecoder(fs::path runner, fs::path plugin, std::size_t index,
                                 std::string name, std::vector<DecoderParam> params,
                                 IsolationLimits limits)
    : runner_(std::move(runner)),
      plugin_(std::move(plugin)),
      index_(index),
      name_(std::move(name)),
      params_(std::move(params)),
      limits_(limits) {}

IsolatedDecoder::~IsolatedDecoder() {
  const std::lock_guard lock(mutex_);
  quit();
}

void IsolatedDecoder::quit() {
  if (!process_) return;
  send_message(process_->socket(), MessageWriter(MessageKind::quit));
  process_->finish(kQuitGrace);
  process_.reset();
}

void IsolatedDecoder::crashed(const std::string& what) {
  const std::string output = process_ ? last_words(process_->take_output()) : "";
  process_.reset();
  throw Error::plugin(
      fmt::format("decoder '{}' {}{}; it starts afresh for the next poem", name_, what, output));
}

void IsolatedDecoder::start() {
  // The tables are mapped within the address space the plugin is given, so the room for them is
  // fixed when the process starts: the memory limit is a hard one, which the plugin cannot raise.
  process_ = std::make_unique<RunnerProcess>(runner_, "serve", plugin_,
                                             limits_.memory_bytes + layout_.size, index_);
  process_room_ = layout_.size;
  region_sent_ = false;
  Packet packet;
  switch (process_->receive(packet, Clock::now() + limits_.silence, nullptr)) {
    case RunnerProcess::Heard::message:
      break;
    case RunnerProcess::Heard::closed:
      crashed(describe_end(process_->finish(kQuitGrace), limits_.memory_bytes, " while loading"));
    default:
      crashed(
          fmt::format("did not finish loading in {} and was stopped", seconds(limits_.silence)));
  }
  MessageReader message(packet.bytes);
  if (message.kind() == MessageKind::refused) {
    const std::string refusal = printable(message.get_string());  // before the process goes
    process_.reset();
    throw Error::plugin(fmt::format("decoder '{}' can no longer be loaded: {}", name_, refusal));
  }
  if (message.kind() != MessageKind::described) throw ProtocolError("it did not describe itself");
  const std::vector<DecoderDescription> described = read_descriptions(message);
  // A file rebuilt since it was loaded may order, name or bound its parameters otherwise: the
  // values poet holds are for the parameters it loaded.
  const auto same = [](const DecoderParam& a, const DecoderParam& b) {
    return a.name == b.name && a.id == b.id && a.type == b.type &&
           a.default_value == b.default_value && a.min_value == b.min_value &&
           a.max_value == b.max_value && a.choices == b.choices;
  };
  if (described.size() != 1 || described[0].name != name_ ||
      !std::equal(params_.begin(), params_.end(), described[0].params.begin(),
                  described[0].params.end(), same)) {
    process_.reset();
    throw Error::plugin(fmt::format(
        "{} has changed since decoder '{}' was loaded from it; `decoders reload` reads it again",
        plugin_.string(), name_));
  }
}

void IsolatedDecoder::share_tables(DecoderCalls& calls, std::uint64_t model_serial) {
  const bool has_metre = calls.has_metre();
  const char* book = has_metre ? calls.metre_book() : nullptr;
  TablesKey key{model_serial, has_metre, book != nullptr ? book : ""};
  if (tables_ == key) return;

  // Gathered first, for their sizes; then copied into a region of that size.
  const std::int32_t vocabulary = calls.vocabulary_size();
  std::string strings;
  const auto add_string = [&](const char* text) {
    if (text == nullptr) return RegionLayout::kNoText;
    const auto offset = static_cast<std::uint32_t>(strings.size());
    strings.append(text).push_back('\0');
    return offset;
  };
  std::vector<std::uint32_t> texts, group_starts, group_names;
  std::vector<std::uint8_t> marks;
  std::vector<std::int32_t> tones, group_lists, groups(8);
  for (poet_token token = 0; token < vocabulary; ++token) {
    texts.push_back(add_string(calls.token_text(token)));
    marks.push_back(calls.is_mark(token) != 0);
    tones.push_back(has_metre ? calls.tone(token) : POET_TONE_UNKNOWN);
    group_starts.push_back(static_cast<std::uint32_t>(group_lists.size()));
    std::size_t count = has_metre ? calls.groups(token, groups.data(), groups.size()) : 0;
    if (count > groups.size()) {
      groups.resize(count);
      count = calls.groups(token, groups.data(), groups.size());
    }
    group_lists.insert(group_lists.end(), groups.begin(), groups.begin() + count);
  }
  group_starts.push_back(static_cast<std::uint32_t>(group_lists.size()));
  const std::int32_t group_count = has_metre ? calls.group_count() : 0;
  for (std::int32_t group = 0; group < group_count; ++group)
    group_names.push_back(add_string(calls.group_name(group)));
  const std::uint32_t book_at = add_string(book);

  RegionLayout layout =
      RegionLayout::plan(vocabulary, strings.size(), group_count, group_lists.size());
  layout.end_token = calls.end_token();
  layout.has_metre = has_metre;
  layout.book = book_at;
  SharedRegion region = SharedRegion::create(layout.size);
  const auto copy = [&](const auto& values, std::uint64_t offset) {
    std::copy(values.begin(), values.end(),
              region.at<typename std::decay_t<decltype(values)>::value_type>(offset));
  };
  copy(texts, layout.token_texts);
  copy(marks, layout.marks);
  copy(tones, layout.tones);
  copy(group_starts, layout.group_starts);
  copy(group_lists, layout.group_lists);
  copy(group_names, layout.group_names);
  copy(strings, layout.strings);
  region_ = std::move(region);
  layout_ = layout;
  tables_ = std::move(key);
  region_sent_ = false;
}

float* IsolatedDecoder::row_slot(poet_state state) {
  if (state < 0 || state >= kMaxStates || region_.size() == 0) return nullptr;
  return region_.at<float>(layout_.row(state));
}

std::uint64_t IsolatedDecoder::serve_row(DecoderCalls& calls, poet_state state) {
  const float* row = calls.log_probs(state);
  // A state's row stays where it is until the state is stepped or released, as the ABI
  // promises, because each state id has its own slot. A state past them (a bad one; the host
  // says so) gets the spare slot.
  const std::int32_t slot = state >= 0 && state < kMaxStates ? state : kMaxStates;
  float* shared = region_.at<float>(layout_.row(slot));
  if (row != shared) std::copy_n(row, layout_.vocabulary_size, shared);
  return layout_.row(slot);
}

void IsolatedDecoder::publish(DecoderCalls& calls, poet_state state) {
  if (state < 0 || state >= kMaxStates) return;
  serve_row(calls, state);
  StateBoard& board = *region_.at<StateBoard>(layout_.board(state));
  calls.position(state, &board.position);
  calls.form_place(state, &board.place);
  board.fresh.store(1, std::memory_order_release);
  published_.push_back(state);
}

void IsolatedDecoder::withdraw(poet_state state) {
  if (state >= 0 && state < kMaxStates)
    region_.at<StateBoard>(layout_.board(state))->fresh.store(0, std::memory_order_relaxed);
}

void IsolatedDecoder::answer(DecoderCalls& calls, MessageReader& call) {
  const auto reply = [&](const auto& value) {
    // A process that is gone is found by the next receive().
    send_message(process_->socket(), MessageWriter(MessageKind::reply).put(value));
  };
  switch (call.kind()) {
    case MessageKind::log_probs:
      return reply(serve_row(calls, call.get<poet_state>()));
    case MessageKind::position: {
      poet_position position{};
      calls.position(call.get<poet_state>(), &position);
      return reply(position);
    }
    case MessageKind::text: {
      auto* tokens = region_.at<poet_token>(layout_.scratch);
      const std::size_t count =
          calls.text(call.get<poet_state>(), tokens, kScratchBytes / sizeof(poet_token));
      return reply(static_cast<std::uint64_t>(count));
    }
    case MessageKind::clone: {
      poet_state copy = calls.clone(call.get<poet_state>());
      if (copy >= kMaxStates) {
        calls.release(copy);
        overreach_ = fmt::format(
            "decoder '{}' held more than {} states at once, the most an isolated decoder may hold",
            name_, kMaxStates);
        copy = -1;
      }
      publish(calls, copy);
      return reply(copy);
    }
    case MessageKind::release: {
      const auto state = call.get<poet_state>();
      withdraw(state);
      return calls.release(state);
    }
    case MessageKind::step: {
      const auto count = call.get<std::uint64_t>();
      if (count > kScratchBytes / (sizeof(poet_state) + sizeof(poet_token))) {
        overreach_ = fmt::format(
            "decoder '{}' stepped {} states at once, more than an isolated decoder may hold", name_,
            count);
        return reply(static_cast<int32_t>(POET_ERROR));
      }
      // Copied out first: the plugin's process may write the region at any time.
      const auto* scratch = region_.at<const std::int32_t>(layout_.scratch);
      step_states_.assign(scratch, scratch + count);
      step_tokens_.assign(scratch + count, scratch + 2 * count);
      for (const poet_state state : step_states_) withdraw(state);
      const int32_t status = calls.step(step_states_.data(), step_tokens_.data(), count);
      if (status == POET_OK) {
        for (const poet_state state : step_states_) publish(calls, state);
      }
      return reply(status);
    }
    case MessageKind::random:
      return reply(calls.random());
    case MessageKind::show:
      calls.show(call.get<poet_state>());
      return;
    case MessageKind::fail:
      return calls.fail(call.get_string().c_str());
    case MessageKind::warn:
      return calls.warn(call.get_string().c_str());
    case MessageKind::form_place: {
      poet_form_place place{};
      calls.form_place(call.get<poet_state>(), &place);
      return reply(place);
    }
    case MessageKind::metre_ask: {
      poet_metre_ask ask{};
      const auto state = call.get<poet_state>();
      calls.metre_ask(state, &ask, call.get<std::uint8_t>() != 0);
      return reply(ask);
    }
    case MessageKind::strict_tone:
      return reply(calls.strict_tone(call.get<poet_state>()));
    case MessageKind::pattern_tone: {
      const auto pattern = call.get<poet_metre_pattern>();
      const auto line = call.get<int32_t>();
      return reply(calls.pattern_tone(pattern, line, call.get<int32_t>()));
    }
    case MessageKind::metre_pattern: {
      poet_metre_pattern pattern{};
      calls.metre_pattern(call.get<poet_state>(), &pattern);
      return reply(pattern);
    }
    default:
      throw ProtocolError(fmt::format("a message of kind {} in the middle of a poem",
                                      static_cast<std::uint32_t>(call.kind())));
  }
}

namespace {

// What the runner needs to write a poem: the request, the start's text and the form.
PoemOrder poem_order(DecoderCalls& calls, const poet_request& request, std::size_t param_count,
                     std::uint64_t model_serial) {
  PoemOrder order;
  order.model_serial = model_serial;
  order.start = request.start;
  order.text.resize(calls.text(request.start, nullptr, 0));
  calls.text(request.start, order.text.data(), order.text.size());
  order.poem_index = request.poem_index;
  order.poem_count = request.poem_count;
  order.tones_rule = calls.tones_rule();
  order.heads.assign(request.heads, request.heads + request.head_count);
  order.params.assign(request.params, request.params + param_count);
  calls.form_shape(&order.form);
  order.line_lengths.assign(order.form.line_lengths,
                            order.form.line_lengths + order.form.line_length_count);
  order.line_counts.assign(order.form.line_counts,
                           order.form.line_counts + order.form.line_count_count);
  return order;
}

}  // namespace

int32_t IsolatedDecoder::decode(DecoderCalls& calls, const poet_request& request,
                                std::uint64_t model_serial, poet_state* result,
                                const std::atomic<bool>* cancel) {
  const std::lock_guard lock(mutex_);
  bool in_poem = false;  // the process is in the middle of a poem
  try {
    // A process that ended between poems (killed from outside, say) is replaced quietly, and
    // one started with less room than these tables take is started again.
    if (process_ && process_->has_hung_up_or_spoken()) process_.reset();
    share_tables(calls, model_serial);
    if (process_ && layout_.size > process_room_) quit();
    if (!process_) start();

    MessageWriter message(MessageKind::decode);
    message.put<std::uint8_t>(!region_sent_);
    if (!region_sent_) message.put(layout_);
    write_poem_order(message, poem_order(calls, request, params_.size(), model_serial));

    region_.at<RegionHeader>(0)->cancelled.store(0);
    for (const poet_state state : std::exchange(published_, {})) withdraw(state);
    publish(calls, request.start);
    overreach_.reset();
    in_poem = true;
    if (!send_message(process_->socket(), message, region_sent_ ? -1 : region_.fd()))
      crashed(describe_end(process_->finish(kQuitGrace), limits_.memory_bytes, ""));
    region_sent_ = true;

    Packet packet;
    auto deadline = Clock::now() + limits_.silence;
    bool cancelling = false;
    for (;;) {
      switch (process_->receive(packet, deadline, cancelling ? nullptr : cancel)) {
        case RunnerProcess::Heard::message:
          break;
        case RunnerProcess::Heard::closed:
          crashed(describe_end(process_->finish(kQuitGrace), limits_.memory_bytes, ""));
        case RunnerProcess::Heard::cancelled:
          // The plugin's cancelled() sees it at once; one that never asks is stopped.
          region_.at<RegionHeader>(0)->cancelled.store(1);
          cancelling = true;
          deadline = Clock::now() + kCancelGrace;
          continue;
        case RunnerProcess::Heard::timeout:
          if (!cancelling)
            crashed(fmt::format("did not answer for {} and was stopped", seconds(limits_.silence)));
          process_.reset();
          return POET_CANCELLED;
      }
      MessageReader call(packet.bytes);
      if (call.kind() == MessageKind::done) {
        in_poem = false;
        const auto status = call.get<int32_t>();
        *result = call.get<poet_state>();
        if (overreach_) throw Error::plugin(*overreach_);
        if (const auto output = process_->take_output(); output.bytes > 0)
          calls.warn(describe_output(output).c_str());
        return status;
      }
      answer(calls, call);
      if (!cancelling) deadline = Clock::now() + limits_.silence;
    }
  } catch (const ProtocolError& error) {
    crashed(fmt::format("broke poet's protocol ({})", error.what()));
  } catch (...) {
    // A process left in the middle of a poem cannot write the next: that one starts afresh.
    if (in_poem) process_.reset();
    throw;
  }
}

}  // namespace poet
