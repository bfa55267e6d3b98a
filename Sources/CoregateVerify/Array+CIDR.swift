import CoregateTenants

extension [CIDR] {
    /// Whether any of these networks holds a 16-byte address (see `CIDR.addressBytes`).
    func anyContains(_ address: [UInt8]) -> Bool {
        contains { $0.contains(address) }
    }
}
