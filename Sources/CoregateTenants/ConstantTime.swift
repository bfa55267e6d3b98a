/// Compares two byte strings in time that depends only on their lengths, not on where they differ.
///
/// An early exit at the first differing byte would let an attacker guess a path token or a
/// signature one byte at a time by timing the answers. Lengths are not secret (a token's length
/// is fixed by whoever generated it), so unequal lengths return at once.
public func constantTimeEquals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) {
        difference |= x ^ y
    }
    return difference == 0
}
