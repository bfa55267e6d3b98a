import Foundation

/// Keeps each phone number's API under its `messages_per_second`: requests to one number are
/// spaced at least 1/rate apart. Meta's per-number throughput and per-customer pair limits are
/// enforced by Meta's own answers (rate-limit codes, retried with backoff); this keeps coregate
/// from running into the first in a burst.
///
/// One entry per number ever sent to, which the tenants' configuration bounds.
struct NumberPacer {
    private var nextAllowed: [String: Date] = [:]

    /// nil: send now (the slot is taken); otherwise how long until this number may be sent to.
    mutating func take(_ number: String, rate: Int, now: Date) -> TimeInterval? {
        let next = nextAllowed[number] ?? now
        if next > now { return next.timeIntervalSince(now) }
        nextAllowed[number] = now + 1 / Double(max(rate, 1))
        return nil
    }
}
