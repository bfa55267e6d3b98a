/// Why a config value could not be read, phrased for the operator; the reader adds file, line and key.
struct ConfigValueError: Error, Sendable, Equatable {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
