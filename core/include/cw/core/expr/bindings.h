// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cw/core/common/value.h"
#include "cw/core/event/event.h"

// Host bindings: how expressions see the Event model (field names as in CrowdSec:
// evt.Line.Raw, evt.Meta.source_ip, evt.Overflow.Alert.Source.IP, evt.Time.Hour() ...).
namespace cw::core::expr {

/// `evt` for an Event the caller keeps alive (and may let expressions mutate: SetMeta).
Value eventValue(event::Event& e);

/// Host values for parts of the model, for callers that expose them directly
/// (hub-test results, the `signal` of overflow filters, profile `Alert`).
Value overflowValue(event::Overflow& o);
Value alertValue(event::Alert& a);
Value sourceValue(event::Source& s);
Value strMapValue(event::StrMap& m);

} // namespace cw::core::expr
