/// The first `limit` bytes of a stream, and whether more came.
///
/// The runner reads a handler's stdout to the end, however much there is, and keeps only this:
/// a handler that writes a lot is not a failed handler, and must not cost the service memory.
struct BoundedOutput: Sendable {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var truncated = false

    init(limit: Int) {
        self.limit = limit
    }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        let room = limit - bytes.count
        if chunk.count > room {
            truncated = true
        }
        bytes.append(contentsOf: chunk.prefix(max(room, 0)))
    }
}
