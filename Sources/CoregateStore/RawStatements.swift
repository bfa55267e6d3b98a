import Foundation
import GRDB
import GRDBSQLite

/// One argument of ``Statement/run(_:)`` and ``Statement/eachRow(_:_:)``.
enum RawValue {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null

    static func integer(_ value: Int) -> RawValue { .integer(Int64(value)) }
    static func text(_ value: String?) -> RawValue { value.map(RawValue.text) ?? .null }
    static func integer(_ value: Int64?) -> RawValue { value.map(RawValue.integer) ?? .null }
    static func integer(_ value: Int32?) -> RawValue { value.map { .integer(Int64($0)) } ?? .null }
}

/// The statements every stored or delivered event runs bind their arguments and read their
/// columns straight through SQLite's C API. GRDB's `execute(arguments:)` boxes each argument
/// in an existential and a `DatabaseValue`, and its rows decode each column through a protocol;
/// on a stream handler's thread that was about a fifth of the CPU per event, more than SQLite's
/// own B-tree work for some statements (docs/performance.md, issue 13). These are cached GRDB
/// statements all the same: prepared once per connection, and run inside GRDB's transactions.
extension Statement {
    /// Binds `arguments` (1-based, in order), steps to the end, and resets the statement.
    func run(_ arguments: [RawValue]) throws {
        try bind(arguments)
        defer { sqlite3_reset(sqliteStatement) }
        while true {
            switch sqlite3_step(sqliteStatement) {
            case SQLITE_DONE: return
            case SQLITE_ROW: continue
            case let code: throw error(code)
            }
        }
    }

    /// Binds `arguments`, calls `body` with each row, and resets the statement.
    func eachRow(_ arguments: [RawValue], _ body: (RawRow) throws -> Void) throws {
        try bind(arguments)
        defer { sqlite3_reset(sqliteStatement) }
        while true {
            switch sqlite3_step(sqliteStatement) {
            case SQLITE_DONE: return
            case SQLITE_ROW: try body(RawRow(statement: sqliteStatement))
            case let code: throw error(code)
            }
        }
    }

    private func bind(_ arguments: [RawValue]) throws {
        sqlite3_reset(sqliteStatement)
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32 =
                switch argument {
                case .integer(let value): sqlite3_bind_int64(sqliteStatement, index, value)
                case .null: sqlite3_bind_null(sqliteStatement, index)
                case .text(var value):
                    value.withUTF8 { sqlite3_bind_text(sqliteStatement, index, $0.baseAddress, Int32($0.count), transient) }
                case .blob(let bytes) where bytes.isEmpty: sqlite3_bind_zeroblob(sqliteStatement, index, 0)
                case .blob(let bytes):
                    bytes.withUnsafeBytes { sqlite3_bind_blob(sqliteStatement, index, $0.baseAddress, Int32($0.count), transient) }
                }
            guard code == SQLITE_OK else { throw error(code) }
        }
    }

    private func error(_ code: Int32) -> DatabaseError {
        let message = sqlite3_db_handle(sqliteStatement).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }
}

/// SQLite copies what it binds: the Swift value may be gone before the statement runs.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// The current row of a statement in ``Statement/eachRow(_:_:)``; columns are 0-based.
struct RawRow {
    let statement: SQLiteStatement

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(statement, column)) }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column))), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : text(column)
    }

    func bytes(_ column: Int32) -> [UInt8] {
        guard let blob = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: blob, count: Int(sqlite3_column_bytes(statement, column))))
    }
}
