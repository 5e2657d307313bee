#include "plugins/isolation_protocol.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "poet/engine/files/limits.h"

namespace poet {

static_assert(kScratchBytes >= kMaxStates * (sizeof(poet_state) + sizeof(poet_token)));
static_assert(kScratchBytes >= kLongestPoem * sizeof(poet_token));

namespace {

std::uint64_t aligned(std::uint64_t offset) { return (offset + 63) / 64 * 64; }

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

bool send_message(int socket, const MessageWriter& message, int pass) {
  if (message.bytes().size() > kMaxMessage)
    throw ProtocolError("a message larger than the protocol allows");
  iovec data{const_cast<std::byte*>(message.bytes().data()), message.bytes().size()};
  msghdr header{};
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (pass >= 0) {
    header.msg_control = control;
    header.msg_controllen = sizeof control;
    cmsghdr* rights = CMSG_FIRSTHDR(&header);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(rights), &pass, sizeof(int));
  }
  for (;;) {
    if (::sendmsg(socket, &header, MSG_NOSIGNAL) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

bool receive_message(int socket, Packet& packet) {
  packet.bytes.resize(kMaxMessage);
  packet.passed = UniqueFd();
  iovec data{packet.bytes.data(), packet.bytes.size()};
  msghdr header{};
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  header.msg_control = control;
  header.msg_controllen = sizeof control;
  ssize_t size;
  do {
    size = ::recvmsg(socket, &header, MSG_CMSG_CLOEXEC);
  } while (size < 0 && errno == EINTR);
  if (size <= 0) return false;
  // Keeps the first descriptor passed and closes any others, which the protocol never sends.
  for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
      UniqueFd received(fd);
      if (!packet.passed) packet.passed = std::move(received);
    }
  }
  if ((header.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
    throw ProtocolError("a message larger than the protocol allows");
  packet.bytes.resize(static_cast<std::size_t>(size));
  return true;
}

SharedRegion SharedRegion::create(std::size_t size) {
  UniqueFd fd(::memfd_create("poet-decoder", MFD_CLOEXEC));
  if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
    throw std::system_error(errno, std::generic_category(), "shared memory for a decoder");
  return map(std::move(fd), size);
}

SharedRegion SharedRegion::map(UniqueFd fd, std::size_t size) {
  // Pages cost nothing until touched, so rows of states never used take no memory.
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (data == MAP_FAILED)
    throw std::system_error(errno, std::generic_category(), "mapping poet's shared memory");
  return SharedRegion(std::move(fd), data, size);
}

SharedRegion::SharedRegion(SharedRegion&& other) noexcept
    : fd_(std::move(other.fd_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SharedRegion& SharedRegion::operator=(SharedRegion&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    fd_ = std::move(other.fd_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SharedRegion::~SharedRegion() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

RegionLayout RegionLayout::plan(std::int32_t vocabulary_size, std::size_t strings_bytes,
                                std::int32_t group_count, std::size_t group_list_count) {
  const auto tokens = static_cast<std::uint64_t>(vocabulary_size);
  RegionLayout layout;
  layout.vocabulary_size = vocabulary_size;
  layout.group_count = group_count;
  std::uint64_t end = aligned(sizeof(RegionHeader));
  const auto place = [&](std::uint64_t& field, std::uint64_t bytes) {
    field = end;
    end = aligned(end + bytes);
  };
  place(layout.token_texts, tokens * sizeof(std::uint32_t));
  place(layout.marks, tokens);
  place(layout.tones, tokens * sizeof(std::int32_t));
  place(layout.group_starts, (tokens + 1) * sizeof(std::uint32_t));
  place(layout.group_lists, group_list_count * sizeof(std::int32_t));
  place(layout.group_names, static_cast<std::uint64_t>(group_count) * sizeof(std::uint32_t));
  place(layout.strings, strings_bytes);
  place(layout.scratch, kScratchBytes);
  place(layout.boards, kMaxStates * sizeof(StateBoard));
  place(layout.rows, (kMaxStates + 1) * tokens * sizeof(float));
  layout.size = end;
  return layout;
}

void write_poem_order(MessageWriter& message, const PoemOrder& order) {
  message.put(order.model_serial).put(order.start).put(order.poem_index).put(order.poem_count);
  message.put(order.tones_rule);
  message.put_array(order.text.data(), order.text.size());
  message.put_array(order.heads.data(), order.heads.size());
  message.put_array(order.params.data(), order.params.size());
  const poet_form& form = order.form;
  message.put(form.free).put(form.same_length).put(form.regulated).put(form.longest_line);
  message.put(form.max_characters);
  message.put_array(order.line_lengths.data(), order.line_lengths.size());
  message.put_array(order.line_counts.data(), order.line_counts.size());
}

PoemOrder read_poem_order(MessageReader& message) {
  PoemOrder order;
  order.model_serial = message.get<std::uint64_t>();
  order.start = message.get<poet_state>();
  order.poem_index = message.get<std::int32_t>();
  order.poem_count = message.get<std::int32_t>();
  order.tones_rule = message.get<std::int32_t>();
  order.text = message.get_array<poet_token>();
  order.heads = message.get_array<poet_token>();
  order.params = message.get_array<double>();
  poet_form& form = order.form;
  form.free = message.get<std::int32_t>();
  form.same_length = message.get<std::int32_t>();
  form.regulated = message.get<std::int32_t>();
  form.longest_line = message.get<std::int32_t>();
  form.max_characters = message.get<std::int32_t>();
  order.line_lengths = message.get_array<std::int32_t>();
  order.line_counts = message.get_array<std::int32_t>();
  return order;
}

void write_description(MessageWriter& message, const DecoderDescription& description) {
  message.put_string(description.name).put_string(description.version).put_string(description.help);
  message.put<std::uint8_t>(description.streams).put<std::uint8_t>(description.steps_heads);
  message.put<std::uint8_t>(description.batches).put<std::uint8_t>(description.seedless);
  message.put(static_cast<std::uint32_t>(description.params.size()));
  for (const DecoderParam& param : description.params) {
    message.put_string(param.name).put(param.id).put(param.type);
    message.put(param.default_value).put(param.min_value).put(param.max_value);
    message.put(static_cast<std::uint32_t>(param.choices.size()));
    for (const std::string& choice : param.choices) message.put_string(choice);
    message.put_string(param.help);
  }
  message.put(static_cast<std::uint32_t>(description.aliases.size()));
  for (const OptionAlias& alias : description.aliases)
    message.put_string(alias.option).put_string(alias.param);
}

DecoderDescription read_description(MessageReader& message) {
  DecoderDescription description;
  description.name = message.get_string();
  description.version = message.get_string();
  description.help = message.get_string();
  description.streams = message.get<std::uint8_t>() != 0;
  description.steps_heads = message.get<std::uint8_t>() != 0;
  description.batches = message.get<std::uint8_t>() != 0;
  description.seedless = message.get<std::uint8_t>() != 0;
  for (auto params = message.get<std::uint32_t>(); params > 0; --params) {
    DecoderParam& param = description.params.emplace_back();
    param.name = message.get_string();
    param.id = message.get<std::uint32_t>();
    param.type = message.get<ParamType>();
    if (param.type > ParamType::choice) throw ProtocolError("a parameter of an unknown type");
    param.default_value = message.get<double>();
    param.min_value = message.get<double>();
    param.max_value = message.get<double>();
    for (auto choices = message.get<std::uint32_t>(); choices > 0; --choices)
      param.choices.push_back(message.get_string());
    param.help = message.get_string();
  }
  for (auto aliases = message.get<std::uint32_t>(); aliases > 0; --aliases) {
    OptionAlias& alias = description.aliases.emplace_back();
    alias.option = message.get_string();
    alias.param = message.get_string();
  }
  return description;
}

void write_descriptions(MessageWriter& message, const std::vector<DecoderDescription>& descriptions) {
  message.put(static_cast<std::uint32_t>(descriptions.size()));
  for (const DecoderDescription& description : descriptions) write_description(message, description);
}

std::vector<DecoderDescription> read_descriptions(MessageReader& message) {
  std::vector<DecoderDescription> descriptions;
  for (auto count = message.get<std::uint32_t>(); count > 0; --count)
    descriptions.push_back(read_description(message));
  return descriptions;
}

}  // namespace poet
