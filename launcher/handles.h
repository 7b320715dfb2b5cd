// launcher/handles.h: check 9 of PROTOCOL.md section 7. Every declared slot must be
// an open fd whose type (fstat) matches its declared kind, and whose access mode
// matches its declared writability for Directory, Regular and CharDevice slots.
#pragma once

#include "codec/plan.h"
#include "codec/text.h"

namespace bvisor::launcher {

// True when every slot matches; otherwise false with what was wrong in `detail`.
bool check_handles(codec::Span<codec::Slot> slots, codec::TextBuf& detail);

} // namespace bvisor::launcher
