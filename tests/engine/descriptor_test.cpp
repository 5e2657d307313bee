// The checks the loader runs on every plugin's descriptor, on descriptors built in place.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>

#include "plugins/decoder_descriptor.h"
#include "poet/engine/error.h"

namespace poet {
namespace {

std::int32_t decode(const poet_host*, const poet_request*, poet_state*) { return POET_ERROR; }

// Why a decoder with these parameters is refused, or "(accepted)".
std::string refusal(const std::vector<poet_param_info>& params) {
  poet_decoder descriptor{};
  descriptor.abi_version = POET_DECODER_ABI_VERSION;
  descriptor.name = "test";
  descriptor.version = "1.0";
  descriptor.help = "";
  descriptor.params = params.data();
  descriptor.param_count = params.size();
  descriptor.decode = decode;
  try {
    read_descriptor(descriptor);
  } catch (const Error& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(DecoderDescriptor, AcceptsEveryTypeOfParameter) {
  EXPECT_EQ(refusal({{"top-p", POET_PARAM_REAL, 0.9, 0.01, 1, nullptr, ""},
                     {"width", POET_PARAM_INT, 8, 1, 64, nullptr, ""},
                     {"no-repeat-line", POET_PARAM_BOOL, 1, 0, 0, nullptr, ""},
                     {"inner", POET_PARAM_CHOICE, 2, 0, 0, "greedy|sample|beam", ""}}),
            "(accepted)");
}

// Found by tests/fuzz/descriptor.cpp: defaults that `settings` would show as something that `set`
// does not read back as the same value, and an integer too large to show at all.
TEST(DecoderDescriptor, RefusesADefaultThePromptCannotShowAndReadBack) {
  const double infinity = std::numeric_limits<double>::infinity();
  EXPECT_EQ(refusal({{"t", POET_PARAM_REAL, infinity, -infinity, infinity, nullptr, ""}}),
            "parameter 't' has a default or a bound that is not finite");
  EXPECT_EQ(refusal({{"k", POET_PARAM_INT, 0.5, 0, 1, nullptr, ""}}),
            "parameter 'k' is a whole number, but its default 0.5 or range 0 to 1 is not");
  EXPECT_EQ(refusal({{"k", POET_PARAM_INT, 1e300, 0, 1e300, nullptr, ""}}),
            "parameter 'k' is a whole number, but its default 1e+300 or range 0 to 1e+300 is not");
  EXPECT_EQ(refusal({{"b", POET_PARAM_BOOL, 0.5, 0, 0, nullptr, ""}}),
            "parameter 'b' is a whole number, but its default 0.5 or range 0 to 1 is not");
  EXPECT_EQ(refusal({{"c", POET_PARAM_CHOICE, 1, 0, 0, "sample|sample", ""}}),
            "parameter 'c' has an empty, repeated or unprintable choice in 'sample|sample'");
  EXPECT_EQ(refusal({{"c", POET_PARAM_CHOICE, 0, 0, 0, "a||b", ""}}),
            "parameter 'c' has an empty, repeated or unprintable choice in 'a||b'");
  // A choice is typed and shown as it is: one printable word.
  EXPECT_EQ(refusal({{"c", POET_PARAM_CHOICE, 0, 0, 0, "a|b c", ""}}),
            "parameter 'c' has an empty, repeated or unprintable choice in 'a|b c'");
  EXPECT_EQ(refusal({{"c", POET_PARAM_CHOICE, 0, 0, 0, "a|\x1b[2J", ""}}),
            "parameter 'c' has an empty, repeated or unprintable choice in 'a|\uFFFD[2J'");
}

TEST(DecoderDescriptor, RefusesAParameterDeclaredTwice) {
  EXPECT_EQ(refusal({{"width", POET_PARAM_INT, 8, 1, 64, nullptr, ""},
                     {"width", POET_PARAM_REAL, 1, 0, 2, nullptr, ""}}),
            "decoder 'test' declares the parameter 'width' twice");
}

// What check_aliases says of aliases for a decoder with the parameters width and top-p.
std::string alias_refusal(std::vector<OptionAlias> aliases) {
  DecoderDescription description;
  description.name = "test";
  description.params.resize(2);
  description.params[0].name = "width";
  description.params[1].name = "top-p";
  description.aliases = std::move(aliases);
  try {
    check_aliases(description);
    return "(accepted)";
  } catch (const Error& error) {
    return error.what();
  }
}

TEST(DecoderDescriptor, AnAliasIsANameOfItsOwnForOneOfTheParameters) {
  EXPECT_EQ(alias_refusal({{"beam", "width"}, {"p", "top-p"}}), "(accepted)");
  EXPECT_EQ(alias_refusal({{"beam", "depth"}}),
            "decoder 'test' has an alias 'beam' for 'depth', which is not one of its parameters");
  EXPECT_EQ(alias_refusal({{"top-p", "width"}}),
            "decoder 'test' has an alias 'top-p' that is one of its parameters");
  EXPECT_EQ(alias_refusal({{"beam", "width"}, {"beam", "top-p"}}),
            "decoder 'test' has an alias 'beam' twice");
  EXPECT_EQ(alias_refusal({{"Beam!", "width"}}),
            "decoder 'test' has an alias 'Beam!' that is not made of a-z, 0-9 and '-'");
}

}  // namespace
}  // namespace poet
