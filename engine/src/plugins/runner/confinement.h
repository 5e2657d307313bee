#pragma once
// Where a plugin runs: a process whose every descendant ends with it, and with poet, and whose
// memory limit it cannot lift.

#include <cstdint>

namespace poet {

// Splits this process. Returns only in the process that is to load the plugin (the host); the
// process poet started stays behind as its guard, and ends, once the host and everything it
// started have ended, the way the host ended (the same exit status, or the same signal), so that
// poet can say what happened. The guard ends the host when poet hangs up `poet_socket`.
//
// Where the kernel lets an unprivileged process make namespaces, the host runs in a PID namespace
// of its own, under a small init: when the host ends, init ends, and the kernel kills every
// process left in the namespace, however they were started (setsid, a double fork). Elsewhere the
// guard becomes a subreaper and kills the host's descendants itself once the host has ended.
void confine(int poet_socket);

// Sets the host's address-space limit, soft and hard, to what it uses now plus `bytes`: a hard
// limit, which the plugin cannot raise again with setrlimit().
void limit_address_space(std::uint64_t bytes);

}  // namespace poet
