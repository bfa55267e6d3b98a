/// A certificate subject such as `CN=coreapp-1,O=ACME`: what a tenant pins in
/// `client_cert_subjects`, and what a client certificate carries.
///
/// Both become the same list of (type, value) pairs in RFC 4514 order, most specific first, as
/// `openssl x509 -noout -subject -nameopt RFC2253` prints them. Pins are then compared as lists,
/// not as strings, so spacing and escaping in the config cannot make a right pin miss. Values are
/// compared exactly, case included: a pin should not match more than the operator wrote.
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    public struct Attribute: Sendable, Hashable {
        public var type: String
        public var value: String

        public init(type: String, value: String) {
            self.type = type
            self.value = value
        }
    }

    public var attributes: [Attribute]

    public init(attributes: [Attribute]) {
        self.attributes = attributes
    }

    /// The attribute types a pin may name, spelled as OpenSSL prints them. The TLS library names
    /// no others, so a subject with any other attribute can be pinned only by fingerprint.
    public static let attributeTypes = ["CN", "O", "OU", "L", "ST", "C", "emailAddress", "UID"]

    /// RFC 4514, with the characters it reserves escaped.
    public var description: String {
        attributes.map { "\($0.type)=\(Self.escaped($0.value))" }.joined(separator: ",")
    }

    private static func escaped(_ value: String) -> String {
        var out = ""
        let scalars = Array(value.unicodeScalars)
        for (position, scalar) in scalars.enumerated() {
            let isEdgeSpace = scalar == " " && (position == 0 || position == scalars.count - 1)
            if ",+\"\\<>;".unicodeScalars.contains(scalar) || isEdgeSpace || (position == 0 && scalar == "#") {
                out += "\\"
            }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}

extension DistinguishedName {
    /// Reads an RFC 4514 string. Spaces around `=` and `,` are ignored; `\,` and `\2C` escape a
    /// character. Multi-valued parts (`+`), quoted and `#`-hex values are refused: the TLS layer
    /// cannot tell them apart, so accepting them could make a pin mean something else.
    init(parsing text: String) throws(ConfigValueError) {
        var reader = Reader(bytes: Array(text.utf8))
        var attributes: [Attribute] = []
        repeat {
            attributes.append(try reader.attribute())
        } while reader.nextAttributeFollows()
        self.init(attributes: attributes)
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        private mutating func skipSpaces() {
            while current == UInt8(ascii: " ") { index += 1 }
        }

        mutating func attribute() throws(ConfigValueError) -> Attribute {
            skipSpaces()
            let start = index
            while let byte = current, ASCII.isLetterOrDigit(byte) { index += 1 }
            let written = String(decoding: bytes[start..<index], as: UTF8.self)
            skipSpaces()
            guard current == UInt8(ascii: "=") else {
                throw ConfigValueError(written.isEmpty ? "expected an attribute such as CN=name" : "expected = after \(written)")
            }
            index += 1
            guard let type = DistinguishedName.attributeTypes.first(where: { $0.lowercased() == written.lowercased() }) else {
                throw ConfigValueError("unknown attribute type \"\(written)\": use one of \(DistinguishedName.attributeTypes.joined(separator: ", "))")
            }
            return Attribute(type: type, value: try value(of: type))
        }

        private mutating func value(of type: String) throws(ConfigValueError) -> String {
            skipSpaces()
            if current == UInt8(ascii: "\"") || current == UInt8(ascii: "#") {
                throw ConfigValueError("write the value of \(type) plainly, escaping with \\; quoted and #-hex values are not supported")
            }
            var value: [UInt8] = []
            var keptLength = 0  // without unescaped trailing spaces
            while let byte = current, byte != UInt8(ascii: ",") {
                index += 1
                switch byte {
                case UInt8(ascii: "+"):
                    throw ConfigValueError("multi-valued parts (+) are not supported: pin this certificate by fingerprint")
                case UInt8(ascii: "\\"):
                    value.append(try escapedByte())
                    keptLength = value.count
                default:
                    value.append(byte)
                    if byte != UInt8(ascii: " ") { keptLength = value.count }
                }
            }
            value.removeLast(value.count - keptLength)
            guard !value.isEmpty else { throw ConfigValueError("\(type) has an empty value") }
            guard let text = String(validating: value, as: UTF8.self) else {
                throw ConfigValueError("the value of \(type) is not UTF-8")
            }
            return text
        }

        /// After `\`: two hex digits spell a byte, anything else stands for itself.
        private mutating func escapedByte() throws(ConfigValueError) -> UInt8 {
            guard let first = current else { throw ConfigValueError("ends with a lone \\") }
            index += 1
            guard let high = hexDigitValue(first) else { return first }
            guard let second = current, let low = hexDigitValue(second) else {
                throw ConfigValueError("\\ must be followed by two hex digits or by the character it escapes")
            }
            index += 1
            return high << 4 | low
        }

        /// Consumes the `,` a value ended at; false at the end of the text.
        mutating func nextAttributeFollows() -> Bool {
            guard current == UInt8(ascii: ",") else { return false }
            index += 1
            return true
        }
    }
}
