import Foundation

/// One line of an audit log: one JSON object, written in this exact form (no whitespace,
/// `details` keys sorted, see `AuditValue`):
///
/// ```
/// {"seq":1,"time":"2025-06-01T09:30:00.000Z","event":"task_received","details":{…},"prev":"000…0","hash":"9c1e…"}
/// ```
///
/// - `seq` counts from 1 and is the line's number in the file;
/// - `prev` is the SHA-256 of the previous line's bytes (without its newline, `hash`
///   included), or 64 zeros on the first line: it chains every line to all before it;
/// - `hash` is the SHA-256 of the line's *content*: its bytes up to `,"hash":`, followed by
///   `}` (which is the entry as JSON without its `hash`).
///
/// Editing a line breaks its `hash`; fixing the hash breaks the next line's `prev`; deleting,
/// reordering or inserting lines breaks a `prev` (and `seq`). Only rewriting every line from
/// the edit to the end goes unseen, so a site may anchor the last line's SHA-256
/// (`AuditLog.head`) elsewhere.
public struct AuditEntry: Sendable, Hashable {
    /// The line number, from 1.
    public var seq: Int
    /// When it was written: ISO 8601 in UTC with milliseconds.
    public var time: String
    public var event: AuditEvent
    public var details: [String: AuditValue]
    /// The SHA-256 of the previous line's bytes (hex), or 64 zeros.
    public var prev: String
    /// The SHA-256 of this line's content (hex).
    public var hash: String
    /// The line as written, without its newline.
    public var line: String

    /// The first line's `prev`.
    public static let firstPrevious = String(repeating: "0", count: 64)

    /// The entry with `seq`, `time`, `event`, `details` and `prev`, its hash and its line.
    init(seq: Int, time: String, event: AuditEvent, details: [String: AuditValue], prev: String) {
        var content = "{\"seq\":\(seq),\"time\":"
        AuditValue.writeString(time, to: &content)
        content += ",\"event\":"
        AuditValue.writeString(event.rawValue, to: &content)
        content += ",\"details\":"
        AuditValue.writeObject(details, to: &content)
        content += ",\"prev\":"
        AuditValue.writeString(prev, to: &content)
        content += "}"
        let hash = SHA256.hexDigest(of: content)
        self.seq = seq
        self.time = time
        self.event = event
        self.details = details
        self.prev = prev
        self.hash = hash
        self.line = String(content.dropLast()) + ",\"hash\":\"\(hash)\"}"
    }

    /// The SHA-256 of the whole line (hex): the next line's `prev`.
    public var lineHash: String { SHA256.hexDigest(of: line) }

    /// Parses one line (without its newline) and checks its own hash.
    ///
    /// - Throws: `AuditLineError` saying why the line is not an intact entry: "not valid
    ///   JSON", "not an audit entry: …", "hash does not match its content (edited?)".
    public init(line: String) throws(AuditLineError) {
        let bytes = Array(line.utf8)
        guard (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any] else {
            throw AuditLineError("not valid JSON")
        }
        // The line must end with ,"hash":"<64 hex>"} and its content is what comes before.
        let suffixLength = 9 + 64 + 2
        let hexDigits = Set("0123456789abcdef".utf8)
        let start = bytes.count - suffixLength
        guard start > 1, bytes[start...].starts(with: Array(",\"hash\":\"".utf8)), bytes.last == UInt8(ascii: "}"),
              bytes[bytes.count - 2] == UInt8(ascii: "\""), bytes[(start + 9)..<(start + 73)].allSatisfy(hexDigits.contains)
        else {
            throw AuditLineError("not an audit entry: it does not end with its \"hash\" (64 lowercase hex digits)")
        }
        let content = Array(bytes[..<start]) + [UInt8(ascii: "}")]
        let fields: Content
        do {
            fields = try JSONDecoder().decode(Content.self, from: Data(content))
        } catch let DecodingError.keyNotFound(key, _) {
            throw AuditLineError("not an audit entry: it has no \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw AuditLineError("not an audit entry: \"\(planFieldPath(context.codingPath))\" has the wrong type")
        } catch {
            throw AuditLineError("not an audit entry: \(error)")
        }
        let hash = String(decoding: bytes[(start + 9)..<(start + 73)], as: UTF8.self)
        guard SHA256.hexDigest(content) == hash else {
            throw AuditLineError("hash does not match its content (edited?)")
        }
        self.seq = fields.seq
        self.time = fields.time
        self.event = AuditEvent(rawValue: fields.event)
        self.details = fields.details
        self.prev = fields.prev
        self.hash = hash
        self.line = line
    }

    private struct Content: Decodable {
        var seq: Int
        var time: String
        var event: String
        var details: [String: AuditValue]
        var prev: String
    }
}

/// Why a line is not an intact audit entry (`AuditEntry.init(line:)`).
public struct AuditLineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reason, e.g. "hash does not match its content (edited?)".
    public var reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}
