#pragma once
// What poet and poet-decoder-runner, the process an isolated decoder runs in, say to each other
// (isolation.h is poet's side, engine/runner/ the runner's).
//
// They talk over a SOCK_SEQPACKET socket: each message is one packet, a MessageKind and then its
// fields, written and read in the order listed below. Small things go in the packets; what is
// large lies in a region of shared memory (a memfd both map), laid out by RegionLayout: the
// model's tables, which the runner answers questions from without asking, a scratch area for
// step()'s arrays and text()'s tokens, and for each state id a row of log-probabilities and a
// board of where the state stands, which poet writes after each step and the plugin reads in
// place: so a plugin that steps one token at a time talks to poet once a token.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "plugins/decoder_descriptor.h"
#include "poet/decoder_ext.h"
#include "poet/engine/error.h"

namespace poet {

// The runner's end of the socket, where poet puts it.
inline constexpr int kRunnerSocketFd = 3;
// The longest message; anything larger goes through the shared region.
inline constexpr std::size_t kMaxMessage = 64 * 1024;
// A plugin's messages (fail(), warn()) are cut to this many bytes.
inline constexpr std::size_t kLongestNote = 4000;
// State ids an isolated decoder may use at once: one row slot each.
inline constexpr std::int32_t kMaxStates = 4096;
// Holds step()'s states and tokens for kMaxStates states, and text() of the longest poem.
inline constexpr std::size_t kScratchBytes = 256 * 1024;

enum class MessageKind : std::uint32_t {
  // runner -> poet, once loaded: its decoders' DecoderDescriptions (write_descriptions): every
  // decoder of the library when probing, the one it serves when serving; or why it was refused
  described,
  refused,  // string
  // poet -> runner
  decode,  // u8 new region (then RegionLayout, the memfd passed with the packet), PoemOrder
  quit,
  reply,  // the answer to the call before: its fields, by the call
  // runner -> poet: the plugin's calls; answered by a reply unless marked one-way
  log_probs,   // i32 state -> u64 offset of its row in the region
  position,    // i32 state -> poet_position
  text,        // i32 state -> u64 count; min(count, scratch) tokens in the scratch area
  clone,       // i32 state -> i32 state
  release,     // i32 state; one-way
  step,        // u64 count; states then tokens in the scratch area -> i32 status
  random,      // -> f64
  show,        // i32 state; one-way (a misuse fails the poem when it is done)
  fail,        // string; one-way
  warn,        // string; one-way
  form_place,  // i32 state -> poet_form_place
  metre_ask,   // i32 state, u8 only before a character (poet.metre/2's) -> poet_metre_ask
  done,        // i32 status, i32 result: decode() returned
  metre_pattern,  // i32 state -> poet_metre_pattern
  strict_tone,    // i32 state -> i32 tone
  pattern_tone,   // poet_metre_pattern, i32 line, i32 column -> i32 tone
};

// A message's fields, appended in order.
class MessageWriter {
 public:
  explicit MessageWriter(MessageKind kind) { put(kind); }

  template <typename T>
  MessageWriter& put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    append(&value, sizeof value);
    return *this;
  }
  template <typename T>
  MessageWriter& put_array(const T* values, std::size_t count) {
    static_assert(std::is_trivially_copyable_v<T>);
    put(static_cast<std::uint32_t>(count));
    append(values, count * sizeof(T));
    return *this;
  }
  MessageWriter& put_string(std::string_view text) { return put_array(text.data(), text.size()); }

  const std::vector<std::byte>& bytes() const { return bytes_; }

 private:
  void append(const void* data, std::size_t size) {
    if (size == 0) return;
    const std::size_t end = bytes_.size();
    bytes_.resize(end + size);
    std::memcpy(bytes_.data() + end, data, size);
  }

  std::vector<std::byte> bytes_;
};

// A message that breaks the protocol: too short, or of a kind not expected there. Its own type
// because poet answers it differently where it arises: while loading, the plugin is refused; in
// the middle of a poem, its process is ended.
struct ProtocolError : Error {
  explicit ProtocolError(const std::string& what) : Error(ErrorKind::plugin, what) {}
};

// A message's fields, read in order; throws ProtocolError past its end.
class MessageReader {
 public:
  explicit MessageReader(const std::vector<std::byte>& bytes) : bytes_(bytes) {
    kind_ = get<MessageKind>();
  }

  MessageKind kind() const { return kind_; }

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    std::memcpy(&value, take(sizeof value), sizeof value);
    return value;
  }
  template <typename T>
  std::vector<T> get_array() {
    const auto count = get<std::uint32_t>();
    if (count > bytes_.size() / sizeof(T)) throw ProtocolError("an array longer than its message");
    std::vector<T> values(count);
    if (count > 0) std::memcpy(values.data(), take(count * sizeof(T)), count * sizeof(T));
    return values;
  }
  std::string get_string() {
    const auto length = get<std::uint32_t>();
    return std::string(reinterpret_cast<const char*>(take(length)), length);
  }

 private:
  const std::byte* take(std::size_t size) {
    if (bytes_.size() - offset_ < size) throw ProtocolError("a message shorter than its fields");
    const std::byte* at = bytes_.data() + offset_;
    offset_ += size;
    return at;
  }

  const std::vector<std::byte>& bytes_;
  std::size_t offset_ = 0;
  MessageKind kind_;
};

// A file descriptor, closed when it goes.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd();

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// One packet and the descriptor that came with it, if any.
struct Packet {
  std::vector<std::byte> bytes;
  UniqueFd passed;
};

// Sends one message, with `pass` (a descriptor) when it is not -1; false once the other end is
// gone. Never raises SIGPIPE. Throws ProtocolError for a message larger than kMaxMessage.
bool send_message(int socket, const MessageWriter& message, int pass = -1);
// Waits for one message; false once the other end is gone. Throws ProtocolError for a message
// larger than kMaxMessage.
bool receive_message(int socket, Packet& packet);

// Shared memory: a memfd mapped read-write, unmapped and closed when it goes.
class SharedRegion {
 public:
  SharedRegion() = default;
  // A new region of `size` bytes, all zero. Throws std::system_error.
  static SharedRegion create(std::size_t size);
  // Maps a region the other process created. Throws std::system_error.
  static SharedRegion map(UniqueFd fd, std::size_t size);
  SharedRegion(SharedRegion&& other) noexcept;
  SharedRegion& operator=(SharedRegion&& other) noexcept;
  ~SharedRegion();

  std::size_t size() const { return size_; }
  int fd() const { return fd_.get(); }
  template <typename T>
  T* at(std::uint64_t offset) const {
    return reinterpret_cast<T*>(static_cast<std::byte*>(data_) + offset);
  }

 private:
  SharedRegion(UniqueFd fd, void* data, std::size_t size)
      : fd_(std::move(fd)), data_(data), size_(size) {}

  UniqueFd fd_;
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

// The start of the region.
struct RegionHeader {
  std::atomic<std::uint32_t>
      cancelled;  // poet sets it at Ctrl-C; the plugin's cancelled() reads it
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// What poet has published of a state: valid while `fresh`, which poet sets after it wrote the
// rest (the state's row too) and either side clears when the state is stepped or released.
struct StateBoard {
  std::atomic<std::uint32_t> fresh;
  poet_position position;
  poet_form_place place;
};

// Where each table lies in the region: byte offsets from its start. One region holds one
// model's tables (and one rhyme book's, where the poem has a metre); poet makes a new one when
// either changes, between poems.
struct RegionLayout {
  static constexpr std::uint32_t kNoText = UINT32_MAX;

  std::uint64_t size = 0;
  std::int32_t vocabulary_size = 0;
  poet_token end_token = 0;
  std::int32_t has_metre = 0;
  std::int32_t group_count = 0;
  std::uint64_t token_texts = 0;   // u32 per token: where its UTF-8 begins in strings, or kNoText
  std::uint64_t marks = 0;         // u8 per token: is_mark()
  std::uint64_t tones = 0;         // i32 per token: tone()
  std::uint64_t group_starts = 0;  // u32 per token and one more: its groups' place in group_lists
  std::uint64_t group_lists = 0;   // i32s
  std::uint64_t group_names = 0;   // u32 per group: where its name begins in strings
  std::uint32_t book = 0;          // where the book's name begins in strings
  std::uint64_t strings = 0;       // NUL-terminated UTF-8
  std::uint64_t scratch = 0;       // kScratchBytes
  std::uint64_t boards = 0;  // kMaxStates StateBoards
  std::uint64_t rows = 0;  // kMaxStates + 1 rows of vocabulary_size floats; the last for states
                           // without a slot of their own

  // Places the tables of these sizes, then the scratch area and the rows.
  static RegionLayout plan(std::int32_t vocabulary_size, std::size_t strings_bytes,
                           std::int32_t group_count, std::size_t group_list_count);
  std::uint64_t board(std::int32_t state) const {
    return boards + static_cast<std::uint64_t>(state) * sizeof(StateBoard);
  }
  std::uint64_t row(std::int32_t slot) const {
    return rows + static_cast<std::uint64_t>(slot) * static_cast<std::uint64_t>(vocabulary_size) *
                      sizeof(float);
  }
};

// One poem, as a decode message asks for it.
struct PoemOrder {
  std::uint64_t model_serial = 0;
  poet_state start = -1;
  std::vector<poet_token> text;  // the start state's: the runner keeps each state's text itself
  std::int32_t poem_index = 0;
  std::int32_t poem_count = 1;
  std::int32_t tones_rule = POET_TONES_OFF;  // poet.metre/2's: the same for the whole poem
  std::vector<poet_token> heads;
  std::vector<double> params;
  poet_form form{};  // without its arrays: they are the two below
  std::vector<std::int32_t> line_lengths, line_counts;
};
void write_poem_order(MessageWriter& message, const PoemOrder& order);
PoemOrder read_poem_order(MessageReader& message);

// The description a runner sends back: what read_descriptor() found.
void write_description(MessageWriter& message, const DecoderDescription& description);
DecoderDescription read_description(MessageReader& message);
// A library's decoders, as a `described` message carries them: a count, then each.
void write_descriptions(MessageWriter& message, const std::vector<DecoderDescription>& descriptions);
std::vector<DecoderDescription> read_descriptions(MessageReader& message);

}  // namespace poet
