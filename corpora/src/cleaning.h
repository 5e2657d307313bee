#pragma once
// The rules that decide which source poems poet learns from. Each rule is tried in order and
// counted, so the builder's report says exactly what was dropped and why.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "poet/engine/files/corpus.h"

namespace poet::corpora {

enum class Rule {
  editorial_marks,     // a note that cannot be told from the verse: a bracket left open or closed twice
  missing_characters,  // boxes, marks or spelled-out forms ({月悤}) standing for characters
  ascii,               // digits, letters, '_', '/' and the like: apparatus, not verse
  other_symbols,       // after normalising punctuation, anything but Han characters and ，。？！；
  fragment,            // empty, or stops without a closing mark: not a whole poem
  duplicate,           // the same text as a poem kept earlier
};
inline constexpr std::size_t kRuleCount = 6;

std::string_view rule_description(Rule rule);

struct CleaningReport {
  std::size_t read = 0;
  std::size_t notes_removed = 0;  // kept poems that carried editorial notes or variant readings
  std::array<std::size_t, kRuleCount> dropped{};
  std::size_t punctuation_normalised = 0;  // kept poems whose punctuation was rewritten
  std::size_t kept = 0;
};

class Cleaner {
 public:
  // The poem as poet learns it, or nothing if a rule drops it. `text` is in simplified
  // characters already.
  std::optional<Poem> clean(std::string title, std::string author, std::string_view text);
  const CleaningReport& report() const { return report_; }

 private:
  std::optional<Poem> drop(Rule rule);

  CleaningReport report_;
  std::unordered_set<std::string> seen_texts_;
};

}  // namespace poet::corpora
