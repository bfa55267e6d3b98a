import CoregateTenants

/// The parameters of a raw query string, decoded as HTML forms encode them: `%XX` escapes, and
/// `+` for a space. Values stay bytes, so a token is compared exactly as it was sent.
/// A parameter with a broken escape is left out, as if it had not been sent.
struct QueryParameters {
    private let pairs: [(name: [UInt8], value: [UInt8])]

    init(_ rawQuery: String) {
        pairs = rawQuery.utf8.split(separator: UInt8(ascii: "&")).compactMap { parameter in
            let name = parameter.prefix { $0 != UInt8(ascii: "=") }
            let value = parameter.dropFirst(name.count + 1)
            guard let decodedName = Self.formDecoded(name), let decodedValue = Self.formDecoded(value) else { return nil }
            return (decodedName, decodedValue)
        }
    }

    /// The first value sent for `name`; a repeated parameter's later values are not looked at.
    func first(_ name: String) -> [UInt8]? {
        let wanted = Array(name.utf8)
        return pairs.first { $0.name == wanted }?.value
    }

    private static func formDecoded(_ encoded: Substring.UTF8View) -> [UInt8]? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index != encoded.endIndex {
            let byte = encoded[index]
            index = encoded.index(after: index)
            switch byte {
            case UInt8(ascii: "+"):
                decoded.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index != encoded.endIndex, let high = hexDigitValue(encoded[index]) else { return nil }
                index = encoded.index(after: index)
                guard index != encoded.endIndex, let low = hexDigitValue(encoded[index]) else { return nil }
                index = encoded.index(after: index)
                decoded.append(high << 4 | low)
            default:
                decoded.append(byte)
            }
        }
        return decoded
    }
}
