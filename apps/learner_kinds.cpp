#include "apps/learner_kinds.h"

#include "apps/kinds/linearize_kind.h"
#include "apps/kinds/neartofar_kind.h"
#include "apps/kinds/slow_kind.h"

namespace vidssl {

const LearnerKinds& learner_kinds() {
  static const LearnerKinds kinds{
      &slow_kind(),
      &linearize_kind(),
      &neartofar_kind(),
  };
  return kinds;
}

}  // namespace vidssl
